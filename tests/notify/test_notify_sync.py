"""`apply` is the sync job: its lock, its events and its pings, against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from notify_receiver import SECRET, verify

from wazo_rec_tools.jobs.lock import JobLock
from wazo_rec_tools.policy.model import USER_FIELDS
from wazo_rec_tools.sandbox import Sandbox

ONLINE = "online_call_record_enabled"


@pytest.fixture
def stack(sandbox: Sandbox) -> Sandbox:
    """Every user flag false, and a clean request log."""
    with sandbox.store.lock:
        for user in sandbox.store.confd.users.values():
            user.update(dict.fromkeys(USER_FIELDS, False))
        sandbox.store.confd.changed()
    sandbox.log.clear()
    return sandbox


def acme_users(sb: Sandbox, count: int) -> list[dict]:
    uuid = sb.store.tenant("acme")["uuid"]
    users = [u for u in sb.store.confd.users.values() if u["tenant_uuid"] == uuid]
    return sorted(users, key=lambda u: u["username"])[:count]


@pytest.fixture
def online_policy(stack, config_file):
    """A policy turning online recording on for three acme users."""
    names = ", ".join(u["username"] for u in acme_users(stack, 3))
    (config_file.parent / "policy.yml").write_text(
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      rules:\n"
        f"        - match: {{users: [{names}]}}\n          set: {{{ONLINE}: true}}\n"
    )


def puts(sb: Sandbox) -> list:
    return sb.log.find(method="PUT")


def test_apply_sends_policy_drift_then_policy_applied(
    run_cli, webhook, receiver, online_policy, stack
):
    result = run_cli("apply", "--yes")

    assert result.exit_code == 0, result.stderr
    events = [verify(SECRET, r) for r in receiver.at("/hook")]
    assert [e["type"] for e in events] == ["policy.drift", "policy.applied"]
    drift, applied = (e["data"] for e in events)
    assert drift["drift"] == 3
    assert drift["counts"] == {"users": 3}
    changed = drift["objects"][0]
    assert changed["tenant"] == {"uuid": stack.store.tenant("acme")["uuid"], "slug": "acme"}
    assert changed["fields"][ONLINE]["before"] is False
    assert changed["fields"][ONLINE]["after"] is True
    assert (applied["changed"], applied["failed"], applied["verified"]) == (3, 0, True)


def test_apply_pings_the_sync_check_only(run_cli, with_notify, receiver, online_policy):
    with_notify(
        "notify:\n"
        f"  - healthchecks: {receiver.url}/sync\n    jobs: [sync]\n"
        f"  - healthchecks: {receiver.url}/export\n    jobs: [export]\n"
    )

    run_cli("apply", "--yes")

    assert [r.path for r in receiver.requests] == ["/sync/start", "/sync"]


def test_apply_without_drift_sends_no_event(run_cli, webhook, receiver, stack, config_file):
    (config_file.parent / "policy.yml").write_text("version: 1\ntenants:\n  - tenant: acme\n")

    result = run_cli("apply", "--yes")

    assert result.exit_code == 0, result.stderr
    assert receiver.at("/hook") == []


def test_drift_refused_by_safety_is_still_reported_and_the_job_failed(
    run_cli, webhook, receiver, stack, config_file
):
    (config_file.parent / "policy.yml").write_text(
        f"version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults: {{{ONLINE}: true}}\n"
    )

    result = run_cli("apply", "--yes")

    assert result.exit_code == 1
    assert puts(stack) == []
    types = [verify(SECRET, r)["type"] for r in receiver.at("/hook")]
    assert types == ["policy.drift", "job.failed"]
    assert [r.path for r in receiver.at("/ping/")] == ["/ping/abc/start", "/ping/abc/fail"]
    assert b"refusing to change" in receiver.at("/ping/abc/fail")[0].body


def test_apply_refused_while_another_holds_the_lock_sends_not_a_single_put(
    run_cli, online_policy, stack, config_file
):
    with JobLock(config_file.parent / "state", "sync", "apply"):
        result = run_cli("apply", "--yes")

    assert result.exit_code == 1
    assert f"another apply is in progress (pid {os.getpid()})" in result.stderr
    assert puts(stack) == []
    assert stack.log.find(service="confd") == []  # not even a plan was read


def test_two_applies_at_once_one_applies_and_the_other_exits_at_once(
    run_cli, online_policy, stack, config_file
):
    stack.faults.add(method="PUT", path="/users/", delay=1.0)
    apply = ["apply", "--yes", "--concurrency", "1"]  # the PUTs one after the other
    child = subprocess.Popen(
        [sys.executable, "-m", "wazo_rec_tools.cli", "-c", str(config_file), *apply],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not puts(stack) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert puts(stack), "the first apply never started writing"
        before = len(puts(stack))

        second = run_cli("apply", "--yes")

        assert second.exit_code == 1
        assert f"another apply is in progress (pid {child.pid})" in second.stderr
        assert "this run exits without doing anything" in second.stderr
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert before < 3, "the second apply ran while the first one was writing"
    # every PUT came from the first apply: one per user, none from the refused one
    assert sorted(r.path for r in puts(stack)) == sorted(
        f"/api/confd/1.1/users/{u['uuid']}" for u in acme_users(stack, 3)
    )


def test_dead_receiver_does_not_fail_a_good_apply(run_cli, with_notify, online_policy, stack):
    with_notify(
        "notify:\n  - webhook: http://127.0.0.1:9/h\n    secret: webhook-test\n    timeout: 1\n"
    )

    result = run_cli("apply", "--yes")

    assert result.exit_code == 0, result.stderr
    assert "Verified: the stack now matches the policy." in result.stdout
    assert "connection failed; kept for the next run" in result.stderr
    assert len(puts(stack)) == 3
