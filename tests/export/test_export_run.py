"""`wazo-rec export run` and `export status` against the sandbox."""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile

from observed import (
    DOWNLOAD,
    export_posts,
    last_complete_weeks,
    launched_posts,
    listed_recordings,
    wait_until,
    zip_names,
)

SUB_TENANTS = ("acme", "globex")


def tenant_uuid(sandbox, slug: str) -> str:
    return sandbox.store.tenant(slug)["uuid"]


def test_first_run_delivers_each_due_week_of_each_tenant_with_its_manifest(
    run_cli, sandbox, wazo, archives
):
    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    weeks = last_complete_weeks(4)
    for slug in SUB_TENANTS:
        for start, end in weeks:
            archive = archives / slug / f"{start.year}" / f"{start:%Y-%m-%d}_{end:%Y-%m-%d}.zip"
            listed = listed_recordings(wazo, tenant_uuid(sandbox, slug), start, end)
            assert listed, "the seed has recordings in every week"
            assert zip_names(archive) == listed
            manifest = json.loads(archive.with_name(archive.name + ".manifest.json").read_text())
            assert manifest["archive"]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
            assert manifest["window"]["from"] == start.isoformat()
            with zipfile.ZipFile(archive) as opened:
                assert {r["file"]: r["sha256"] for r in manifest["recordings"]} == {
                    name: hashlib.sha256(opened.read(name)).hexdigest() for name in listed
                }


def test_first_run_launches_one_export_per_tenant_and_week(run_cli, sandbox):
    run_cli("export", "run")

    weeks = {start.isoformat() for start, _ in last_complete_weeks(4)}
    launched = [(r.tenant, r.params["from"]) for r in launched_posts(sandbox)]
    assert sorted(launched) == sorted(
        (tenant_uuid(sandbox, slug), week) for slug in SUB_TENANTS for week in weeks
    )


def test_export_bounds_are_sent_with_explicit_utc_offsets(run_cli, sandbox):
    run_cli("export", "run")

    for post in export_posts(sandbox):
        assert post.params["from"].endswith(("+01:00", "+02:00"))
        assert post.params["until"].endswith(("+01:00", "+02:00"))
        assert post.body == {}


def test_poll_and_download_carry_no_wazo_tenant_header(run_cli, sandbox):
    run_cli("export", "run")

    polls = sandbox.log.find(method="GET", path=r"/exports/")
    assert polls
    assert {r.tenant for r in polls} == {None}
    assert all(r.status == 200 for r in sandbox.log.find(method="GET", path=DOWNLOAD))


def test_second_run_launches_nothing(run_cli, sandbox):
    run_cli("export", "run")
    sandbox.log.clear()

    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    assert export_posts(sandbox) == []
    assert "nothing to do" in result.stdout


def test_window_without_recordings_is_journaled_empty(run_cli, sandbox, archives, status_json):
    result = run_cli(
        "export", "run", "--tenant", "acme", "--from", "2020-01-06", "--until", "2020-01-13"
    )

    assert result.exit_code == 0, result.stderr
    assert [(w["tenant_slug"], w["status"], w["recordings"]) for w in status_json()] == [
        ("acme", "empty", 0)
    ]
    assert not archives.exists()
    assert [r.status for r in export_posts(sandbox)] == [400]


def test_master_tenant_weeks_without_recordings_are_empty_not_failed(run_cli, status_json):
    result = run_cli("export", "run")

    assert result.exit_code == 0
    statuses = {(w["tenant_slug"], w["status"]) for w in status_json()}
    assert statuses == {("acme", "delivered"), ("globex", "delivered"), ("master", "empty")}


def test_dry_run_sends_no_post_and_writes_nothing(run_cli, sandbox, state_dir, archives):
    result = run_cli("export", "run", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("would launch an export") == 12
    assert sandbox.log.find(service="call-logd") == []
    assert not state_dir.exists()
    assert not archives.exists()


def test_dry_run_after_a_run_says_everything_is_done(run_cli, sandbox):
    run_cli("export", "run")
    sandbox.log.clear()

    result = run_cli("export", "run", "--dry-run")

    assert result.exit_code == 0
    assert "nothing to do" in result.stdout
    assert export_posts(sandbox) == []


def test_failed_export_fails_the_run_and_is_retried_on_the_next(run_cli, sandbox, status_json):
    sandbox.store.calllogd.fail_next_exports = 1

    first = run_cli("export", "run")

    assert first.exit_code == 1
    assert "ended in error" in first.stderr
    failed = [w for w in status_json() if w["status"] == "failed"]
    assert [(w["attempts"], w["export_uuid"] is not None) for w in failed] == [(1, True)]
    sandbox.log.clear()

    second = run_cli("export", "run")

    assert second.exit_code == 0, second.stderr
    assert len(launched_posts(sandbox)) == 1
    retried = next(
        w
        for w in status_json()
        if w["from"] == failed[0]["from"] and w["tenant_uuid"] == failed[0]["tenant_uuid"]
    )
    assert (retried["status"], retried["attempts"]) == ("delivered", 2)


def test_window_failing_three_times_is_no_longer_launched_by_the_timer(
    run_cli, sandbox, status_json
):
    for _ in range(3):
        sandbox.store.calllogd.fail_next_exports = 1
        assert run_cli("export", "run").exit_code == 1
    sandbox.log.clear()

    fourth = run_cli("export", "run")

    assert fourth.exit_code == 1
    assert export_posts(sandbox) == []
    assert "failed 3 times" in fourth.stdout + fourth.stderr


def test_one_off_window_retries_a_window_the_timer_gave_up_on(run_cli, sandbox, status_json):
    for _ in range(3):
        sandbox.store.calllogd.fail_next_exports = 1
        run_cli("export", "run")
    failed = next(w for w in status_json() if w["status"] == "failed")

    result = run_cli(
        "export",
        "run",
        "--tenant",
        failed["tenant_uuid"],
        "--from",
        failed["from"],
        "--until",
        failed["until"],
    )

    assert result.exit_code == 0, result.stderr
    assert {w["status"] for w in status_json()} == {"delivered", "empty"}


def test_delivery_conflict_fails_the_window_and_is_delivered_later_without_downloading_again(
    run_cli, sandbox, archives, status_json
):
    start, end = last_complete_weeks(1)[0]
    key = archives / "acme" / f"{start.year}" / f"{start:%Y-%m-%d}_{end:%Y-%m-%d}.zip"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"not ours")

    first = run_cli("export", "run")

    assert first.exit_code == 1
    assert "already exists with different content" in first.stderr
    assert key.read_bytes() == b"not ours"
    key.unlink()
    sandbox.log.clear()

    second = run_cli("export", "run")

    assert second.exit_code == 0, second.stderr
    assert export_posts(sandbox) == []
    assert sandbox.log.find(method="GET", path=DOWNLOAD) == []
    assert key.exists()


def test_token_expiring_mid_run_is_renewed(run_cli, sandbox, status_json):
    assert run_cli("export", "setup").exit_code == 0  # the run then uses the refresh token
    sandbox.export_delay = 1.0
    sandbox.log.clear()

    def expire_after_first_launch() -> None:
        wait_until(lambda: launched_posts(sandbox), what="a launched export")
        sandbox.expire_tokens()

    expirer = threading.Thread(target=expire_after_first_launch)
    expirer.start()
    result = run_cli("export", "run")
    expirer.join()

    assert result.exit_code == 0, result.stderr
    assert [r for r in sandbox.log.find(service="call-logd") if r.status == 401]
    refreshes = [
        r for r in sandbox.log.find(method="POST", path=r"/token$") if r.body.get("refresh_token")
    ]
    assert len(refreshes) >= 2
    assert {w["status"] for w in status_json()} == {"delivered", "empty"}


def test_access_token_is_revoked_at_the_end_of_the_run(run_cli, sandbox):
    run_cli("export", "run")

    assert sandbox.log[-1].method == "DELETE"
    assert sandbox.log[-1].path.startswith("/api/auth/0.1/token/")


def test_email_is_passed_to_call_logd_when_configured(run_cli, sandbox, config_file):
    config_file.write_text(config_file.read_text() + "  email: ops@example.com\n")

    assert run_cli("export", "run", "--tenant", "acme").exit_code == 0

    assert {p.params.get("email") for p in export_posts(sandbox)} == {"ops@example.com"}
    assert len(sandbox.store.calllogd.sent_emails) == 4


def test_tenant_option_limits_the_run(run_cli, sandbox):
    assert run_cli("export", "run", "--tenant", "globex").exit_code == 0

    assert {p.tenant for p in export_posts(sandbox)} == {tenant_uuid(sandbox, "globex")}


def test_unknown_tenant_is_an_error(run_cli, sandbox):
    result = run_cli("export", "run", "--tenant", "initech")

    assert result.exit_code == 1
    assert "tenant 'initech' not found" in result.stderr
    assert export_posts(sandbox) == []


def test_one_off_window_that_has_not_ended_is_refused(run_cli, sandbox):
    result = run_cli("export", "run", "--from", "2026-01-01", "--until", "2999-01-01")

    assert result.exit_code == 1
    assert "has not ended yet" in result.stderr
    assert export_posts(sandbox) == []


def test_from_without_until_is_a_usage_error(run_cli):
    result = run_cli("export", "run", "--from", "2026-01-01")

    assert result.exit_code == 1
    assert "--from and --until go together" in result.stderr


def test_status_table_lists_each_window(run_cli):
    run_cli("export", "run")

    result = run_cli("export", "status")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["TENANT", "WINDOW", "STATUS"]
    start, end = last_complete_weeks(1)[0]
    assert any(
        line.startswith("acme")
        and f"{start:%Y-%m-%d}_{end:%Y-%m-%d}" in line
        and "delivered" in line
        for line in lines
    )
    assert len(lines) == 2 + 12 + 1
    assert lines[-1] == "pending: nothing, every due window is exported"


def test_status_json_carries_archive_location_size_and_sha256(run_cli, archives, status_json):
    run_cli("export", "run")

    delivered = [w for w in status_json() if w["status"] == "delivered"]

    assert len(delivered) == 8
    for window in delivered:
        (location,) = window["locations"]
        path = archives / location.removeprefix(archives.as_uri() + "/")
        assert window["size"] == path.stat().st_size
        assert window["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert window["recordings"] == len(zip_names(path))


def test_status_before_any_run_says_so(run_cli):
    result = run_cli("export", "status")

    assert result.exit_code == 0
    assert "no export has run yet" in result.stdout


def test_windows_follow_the_configured_zone(run_cli, sandbox, config_file):
    config_file.write_text(config_file.read_text().replace("Europe/Paris", "America/New_York"))

    run_cli("export", "run", "--tenant", "acme")

    offsets = {p.params["from"][-6:] for p in export_posts(sandbox)}
    assert offsets and offsets <= {"-05:00", "-04:00"}
