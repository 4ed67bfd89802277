"""`export run` in the job shell: signed webhooks, the outbox's retries, pings (real HTTP)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from notify_receiver import SECRET, verify

from wazo_rec_tools.sandbox import Sandbox


def hook_events(receiver) -> list[dict]:
    return [verify(SECRET, r) for r in receiver.at("/hook")]


def outbox_rows(state_dir) -> list[tuple]:
    with sqlite3.connect(state_dir / "journal.sqlite3") as conn:
        return conn.execute(
            "SELECT id, event_type, attempts, delivered_at IS NOT NULL FROM outbox"
        ).fetchall()


def test_each_delivered_window_is_announced_by_a_signed_webhook(run_cli, webhook, receiver):
    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    events = hook_events(receiver)
    delivered = [e for e in events if e["type"] == "export.delivered"]
    assert len(delivered) == 8  # 4 weeks x acme, globex
    assert {e["data"]["tenant"]["slug"] for e in delivered} == {"acme", "globex"}


def test_export_delivered_carries_the_archive_it_announces(
    run_cli, webhook, receiver, archives, sandbox
):
    run_cli("export", "run")

    event = next(e for e in hook_events(receiver) if e["type"] == "export.delivered")
    data = event["data"]
    assert data["tenant"]["uuid"] == sandbox.store.tenant(data["tenant"]["slug"])["uuid"]
    assert data["window"]["from"].endswith(("+01:00", "+02:00"))
    (location,) = data["locations"]
    archive = Path(location.removeprefix("file://"))
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == data["sha256"]
    manifest = json.loads(Path(data["manifest"].removeprefix("file://")).read_text())
    assert manifest["archive"]["sha256"] == data["sha256"]
    assert data["size"] > 0
    assert data["recordings"] == len(manifest["recordings"])


def test_webhook_answered_500_is_retried_by_the_next_run_with_the_same_id(
    run_cli, webhook, receiver, state_dir
):
    receiver.script = {"/hook": [500]}

    first = run_cli("export", "run")

    assert first.exit_code == 0, first.stderr
    assert "HTTP 500" in first.stderr
    refused = receiver.at("/hook")[0]
    assert len(receiver.at("/hook")) == 1  # a failing receiver is not hammered in one run
    receiver.clear()

    second = run_cli("export", "run")

    assert second.exit_code == 0, second.stderr
    retried = receiver.at("/hook")[0]
    assert retried.headers["webhook-id"] == refused.headers["webhook-id"]
    assert retried.body == refused.body
    verify(SECRET, retried)
    assert len(receiver.at("/hook")) == 8
    assert all(delivered for *_, delivered in outbox_rows(state_dir))


def test_webhook_that_times_out_is_retried_with_the_same_id(run_cli, webhook, receiver):
    receiver.script = {"/hook": ["hang"]}

    first = run_cli("export", "run")

    assert first.exit_code == 0, first.stderr
    assert "timed out after 1s" in first.stderr
    hung = receiver.at("/hook")[0].headers["webhook-id"]
    receiver.clear()

    run_cli("export", "run")

    assert receiver.at("/hook")[0].headers["webhook-id"] == hung


def test_dead_receiver_changes_neither_the_exit_code_nor_the_delivery(
    run_cli, with_notify, archives, state_dir
):
    with_notify(
        "notify:\n"
        "  - webhook: http://127.0.0.1:9/hook\n"
        "    secret: webhook-test\n"
        "    timeout: 1\n"
        "  - healthchecks: http://127.0.0.1:9/ping\n"
        "    timeout: 1\n"
    )

    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    assert "connection failed" in result.stderr
    assert len(list(archives.rglob("*.zip"))) == 8
    assert len(outbox_rows(state_dir)) == 8  # all kept for the next run


def test_dead_receiver_never_hides_the_first_error_of_a_failed_run(run_cli, with_notify, sandbox):
    with_notify("notify:\n  - webhook: http://127.0.0.1:9/h\n    secret: webhook-test\n")
    sandbox.store.calllogd.fail_next_exports = 1

    result = run_cli("export", "run")

    assert result.exit_code == 1
    assert "ended in error" in result.stderr


def test_failed_window_sends_export_failed_and_job_failed(run_cli, webhook, receiver, sandbox):
    sandbox.store.calllogd.fail_next_exports = 1

    result = run_cli("export", "run")

    assert result.exit_code == 1
    events = hook_events(receiver)
    failed = [e for e in events if e["type"] == "export.failed"]
    assert [e["data"]["status"] for e in failed] == ["failed"]
    assert "ended in error" in failed[0]["data"]["error"]
    (job,) = [e for e in events if e["type"] == "job.failed"]
    assert job["data"]["job"] == "export"
    assert "ended in error" in job["data"]["error"]


def test_pings_start_then_success_with_the_log(run_cli, webhook, receiver):
    run_cli("export", "run")

    pings = receiver.at("/ping/")
    assert [p.path for p in pings] == ["/ping/abc/start", "/ping/abc"]
    assert b"delivered" in pings[1].body


def test_failed_run_pings_fail_with_the_log_tail(run_cli, webhook, receiver, sandbox):
    sandbox.store.calllogd.fail_next_exports = 1

    run_cli("export", "run")

    pings = receiver.at("/ping/")
    assert [p.path for p in pings] == ["/ping/abc/start", "/ping/abc/fail"]
    assert b"ended in error" in pings[1].body


def test_run_that_cannot_reach_the_stack_pings_fail_and_exits_1(
    run_cli, webhook, receiver, sandbox
):
    sandbox.stop()

    result = run_cli("export", "run")

    assert result.exit_code == 1
    assert [p.path for p in receiver.at("/ping/")] == ["/ping/abc/start", "/ping/abc/fail"]
    (job,) = [e for e in hook_events(receiver) if e["type"] == "job.failed"]
    assert job["data"]["error"] in result.stderr


def test_dry_run_notifies_nothing_and_says_what_it_would_send(
    run_cli, webhook, receiver, state_dir
):
    result = run_cli("export", "run", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert receiver.requests == []
    assert "would send export.delivered to webhook http://127.0.0.1" in result.stdout
    assert "would send ping start to healthchecks" in result.stdout
    assert not (state_dir / "journal.sqlite3").exists()


def test_no_secret_in_any_payload_or_header(run_cli, webhook, receiver, sandbox, config_file):
    sandbox.store.calllogd.fail_next_exports = 1
    assert run_cli("export", "setup").exit_code == 0  # the run then uses a refresh token
    refresh = (config_file.parent / "refresh-token").read_text().strip()

    run_cli("export", "run")

    key = SECRET.removeprefix("whsec_")
    assert receiver.requests
    for request in receiver.requests:
        sent = request.body + json.dumps(request.headers).encode()
        for secret in (SECRET, key, refresh, Sandbox.ADMIN_PASSWORD):
            assert secret.encode() not in sent


def test_group_readable_webhook_secret_is_refused_before_any_work(
    run_cli, with_notify, receiver, sandbox, tmp_path, monkeypatch
):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    folder = tmp_path / "etc-credentials"
    folder.mkdir()
    (folder / "webhook-test").write_text(SECRET)
    (folder / "webhook-test").chmod(0o640)
    monkeypatch.setattr("wazo_rec_tools.secrets.CREDENTIALS_DIR", folder)
    config = with_notify(f"notify:\n  - webhook: {receiver.url}/hook\n    secret: webhook-test\n")
    sandbox.log.clear()

    result = run_cli("export", "run")

    assert result.exit_code == 1
    line = config.read_text().splitlines().index("    secret: webhook-test") + 1
    assert f"{config}:{line}:13: credential 'webhook-test'" in result.stderr
    assert "readable by group or others" in result.stderr
    assert SECRET not in result.stderr
    assert sandbox.log.find(method="POST") == []
    assert receiver.requests == []
