"""`wazo-rec mirror run` against the sandbox: discovery, delivery, failures, deletion."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from wazo_rec_tools.sandbox.calllogd.media import media_bytes


def delivered_files(root) -> dict[str, int]:
    """relative path -> inode of every file under a file destination."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def recording_key(cdr: dict, index: int = 0) -> str:
    rec = cdr["recordings"][index]
    start = datetime.fromisoformat(rec["start_time"]).astimezone(UTC)
    return f"acme/{start:%Y/%m/%d}/{start:%Y%m%dT%H%M%SZ}_{cdr['id']}_{rec['uuid']}.wav"


def test_new_recordings_are_delivered_with_their_sidecar(
    mirror_config, run_cli, add_call, mirror_dir, sandbox
):
    cdr = add_call(recordings=2)

    result = run_cli("mirror", "run")

    assert result.exit_code == 0, result.stderr
    files = delivered_files(mirror_dir)
    for index in (0, 1):
        key = recording_key(cdr, index)
        assert key in files and key.removesuffix(".wav") + ".json" in files
        rec = cdr["recordings"][index]
        body = (mirror_dir / key).read_bytes()
        assert body == media_bytes(rec["uuid"], sandbox.store.calllogd.media_size(rec["uuid"]))
        side = json.loads((mirror_dir / key.replace(".wav", ".json")).read_text())
        assert side["cdr_id"] == cdr["id"]
        assert side["tenant"]["slug"] == "acme"
        assert side["recording"]["uuid"] == rec["uuid"]
        assert side["recording"]["sha256"] == hashlib.sha256(body).hexdigest()
        assert side["recording"]["size"] == len(body)
        assert side["call"]["call_direction"] == "internal"
        assert side["call"]["source_user_uuid"] == cdr["source_user_uuid"]
        assert side["call"]["destination_user_uuid"] == cdr["destination_user_uuid"]
    assert "mirror: done:" in result.stdout


def test_second_run_delivers_only_what_is_new(
    mirror_config, run_cli, add_call, mirror_dir, sandbox
):
    first = add_call()
    assert run_cli("mirror", "run").exit_code == 0
    before = delivered_files(mirror_dir)
    sandbox.log.clear()

    second = add_call()
    result = run_cli("mirror", "run")

    assert result.exit_code == 0, result.stderr
    after = delivered_files(mirror_dir)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing rewritten
    assert recording_key(second) in after and recording_key(first) in after
    media = sandbox.log.find("GET", r"/recordings/.*/media$")
    assert [m.path.split("/")[-2] for m in media] == [second["recordings"][0]["uuid"]]


def test_cdr_written_late_is_not_missed(mirror_config, run_cli, add_call, mirror_dir):
    assert run_cli("mirror", "run").exit_code == 0
    # a long call that started hours ago: its CDR is written only now, with a new id
    late = add_call(start=datetime.now(UTC) - timedelta(hours=5), minutes=200)

    assert run_cli("mirror", "run").exit_code == 0

    assert recording_key(late) in delivered_files(mirror_dir)


def test_call_that_ended_within_the_lag_waits_for_a_later_run(
    mirror_config, run_cli, add_call, mirror_dir
):
    mirror_config(lag="30m")
    settled = add_call(start=datetime.now(UTC) - timedelta(hours=1))
    fresh = add_call(start=datetime.now(UTC) - timedelta(minutes=8), minutes=3)

    assert run_cli("mirror", "run").exit_code == 0
    files = delivered_files(mirror_dir)
    assert recording_key(settled) in files and recording_key(fresh) not in files

    mirror_config(lag="1m")
    assert run_cli("mirror", "run").exit_code == 0
    assert recording_key(fresh) in delivered_files(mirror_dir)


def test_recording_deleted_before_it_was_fetched_is_reported_once_not_retried(
    mirror_config, run_cli, add_call, sandbox, status_json
):
    add_call(deleted=True)
    vanishing = add_call()
    sandbox.faults.add(drop=True, method="GET", path=r"/recordings/.*/media$")
    assert run_cli("mirror", "run").exit_code == 1  # journaled, delivery failed
    with sandbox.store.lock:
        sandbox.store.calllogd.cdrs[vanishing["id"]]["recordings"][0]["deleted"] = True
    sandbox.faults.clear()
    assert run_cli("mirror", "retry").exit_code == 0

    result = run_cli("mirror", "run")

    assert result.exit_code == 0, result.stderr
    assert "deleted on the stack before it could be fetched; not retried" in result.stderr
    acme = status_json()["acme"]
    assert acme["counts"]["gone"] == 2
    sandbox.log.clear()
    again = run_cli("mirror", "run")
    assert again.exit_code == 0
    assert "not retried" not in again.stderr
    assert not sandbox.log.find("GET", r"/recordings/.*/media$")


def test_failed_delivery_exits_1_is_retried_and_then_delivered(
    mirror_config, run_cli, add_call, mirror_dir, status_json
):
    cdr = add_call()
    mirror_dir.parent.mkdir(parents=True, exist_ok=True)
    mirror_dir.write_text("not a folder")  # the destination cannot be written

    failed = run_cli("mirror", "run")

    assert failed.exit_code == 1
    assert "mirror: FAILED" in failed.stdout
    assert f"cdr {cdr['id']} recording" in failed.stderr and "attempt 1" in failed.stderr
    acme = status_json()["acme"]
    assert acme["counts"]["failed"] >= 1
    assert all(f["next_attempt_at"] for f in acme["failures"])

    mirror_dir.unlink()
    waiting = run_cli("mirror", "run")  # backoff: not due yet, nothing lost either
    assert waiting.exit_code == 0
    assert recording_key(cdr) not in delivered_files(mirror_dir)
    assert run_cli("mirror", "retry").exit_code == 0
    assert run_cli("mirror", "run").exit_code == 0
    assert recording_key(cdr) in delivered_files(mirror_dir)
    assert status_json()["acme"]["counts"]["failed"] == 0


def test_recording_is_given_up_after_max_attempts_and_still_reported(
    mirror_config, run_cli, add_call, mirror_dir, status_json, time_passes
):
    mirror_config(max_attempts=2)
    add_call()
    mirror_dir.parent.mkdir(parents=True, exist_ok=True)
    mirror_dir.write_text("not a folder")
    assert run_cli("mirror", "run").exit_code == 1
    time_passes()
    result = run_cli("mirror", "run")
    assert result.exit_code == 1
    assert "given up after 2 attempts" in result.stderr
    for _ in range(2):
        time_passes()
        result = run_cli("mirror", "run")
        assert "given up (see `wazo-rec mirror status`)" in result.stdout
    failures = status_json()["acme"]["failures"]
    assert failures and all(f["given_up"] for f in failures)
    text = run_cli("mirror", "status").stdout
    assert "given up" in text


def test_spooled_copy_that_no_longer_matches_is_fetched_again(
    mirror_config, run_cli, add_call, mirror_dir, state_dir, sandbox
):
    cdr = add_call()
    mirror_dir.parent.mkdir(parents=True, exist_ok=True)
    mirror_dir.write_text("not a folder")
    assert run_cli("mirror", "run").exit_code == 1
    spooled = next((state_dir / "mirror-spool").rglob(f"{cdr['recordings'][0]['uuid']}.wav"))
    data = bytearray(spooled.read_bytes())
    data[100] ^= 0xFF
    spooled.write_bytes(bytes(data))
    mirror_dir.unlink()
    assert run_cli("mirror", "retry").exit_code == 0

    assert run_cli("mirror", "run").exit_code == 0

    rec = cdr["recordings"][0]
    body = (mirror_dir / recording_key(cdr)).read_bytes()
    assert body == media_bytes(rec["uuid"], sandbox.store.calllogd.media_size(rec["uuid"]))


def test_backfill_queues_an_older_span(mirror_config, run_cli, sandbox, mirror_dir):
    assert run_cli("mirror", "run").exit_code == 0
    acme = sandbox.store.tenant("acme")["uuid"]
    old = [
        c
        for c in sandbox.store.calllogd.cdrs.values()
        if c["recordings"]
        and c["tenant_uuid"] == acme
        and not c["recordings"][0]["deleted"]
        and datetime.fromisoformat(c["start"]) < datetime.now(UTC) - timedelta(days=3)
    ]
    old.sort(key=lambda c: c["start"])
    target = old[-1]
    start = datetime.fromisoformat(target["start"])
    span = ("--from", (start - timedelta(minutes=1)).isoformat())
    span += ("--until", (start + timedelta(minutes=1)).isoformat())

    queued = run_cli("mirror", "backfill", *span, "--tenant", "acme")
    assert queued.exit_code == 0, queued.stderr
    assert not any(f"_{target['id']}_" in name for name in delivered_files(mirror_dir))
    assert run_cli("mirror", "run").exit_code == 0
    assert any(f"_{target['id']}_" in name for name in delivered_files(mirror_dir))


def test_dry_run_changes_nothing_and_says_what_it_would_fetch(
    mirror_config, run_cli, add_call, mirror_dir, state_dir, sandbox
):
    add_call()

    result = run_cli("mirror", "run", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "acme: would fetch" in result.stdout
    assert not mirror_dir.exists()
    assert not (state_dir / "journal.sqlite3").exists()
    assert not sandbox.log.find("GET", r"/media$")


def test_empty_destinations_is_a_clear_error(config_file, run_cli):
    result = run_cli("mirror", "run")
    assert result.exit_code == 1
    assert "mirror.destinations is empty" in result.stderr


def test_recording_whose_file_is_missing_on_the_stack_is_gone_not_retried(
    mirror_config, run_cli, add_call, sandbox, status_json
):
    cdr = add_call()
    with sandbox.store.lock:
        sandbox.store.calllogd.missing_media.add(cdr["recordings"][0]["uuid"])

    result = run_cli("mirror", "run")

    assert result.exit_code == 1  # the stack lost a recording: said once, loudly
    assert "its file is missing on the stack; not retried" in result.stderr
    gone = status_json()["acme"]["gone"]
    assert [g["recording_uuid"] for g in gone] == [cdr["recordings"][0]["uuid"]]
    sandbox.log.clear()
    assert run_cli("mirror", "run").exit_code == 0
    assert not sandbox.log.find("GET", r"/media$")
