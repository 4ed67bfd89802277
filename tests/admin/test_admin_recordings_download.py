"""`wazo-rec recordings download`: one CDR, or in bulk; parallel, resumable (docs/wazo-api.md,
call-logd §8)."""

from __future__ import annotations

import json
from collections import Counter

from sandbox_views import MEDIA, recorded_cdrs

from wazo_rec_tools.cli import recordings as recordings_command
from wazo_rec_tools.sandbox.calllogd.media import media_bytes


def _media_ok(sandbox, path, recording_uuid: str) -> bool:
    size = sandbox.store.calllogd.media_size(recording_uuid)
    return path.read_bytes() == media_bytes(recording_uuid, size)


def _acme(sandbox) -> str:
    return sandbox.store.tenant("acme")["uuid"]


def _live(cdrs):
    return [(c, r) for c in cdrs for r in c["recordings"] if not r["deleted"]]


def _bulk(run_cli, window, directory, *args):
    return run_cli(
        "recordings", "download", "--from", window[0], "--until", window[1],
        "--tenant", "acme", "-d", str(directory), *args,
    )  # fmt: skip


def test_download_one_cdr_writes_its_recording_under_the_server_name(run_cli, sandbox, tmp_path):
    cdr = next(c for c in recorded_cdrs(sandbox) if len(_live([c])) == 1 == len(c["recordings"]))
    recording = cdr["recordings"][0]
    result = run_cli("recordings", "download", str(cdr["id"]), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert _media_ok(sandbox, tmp_path / recording["filename"], recording["uuid"])
    assert "1 files downloaded" in result.stdout


def test_download_one_recording_to_a_file_name(run_cli, sandbox, tmp_path):
    cdr = next(c for c in recorded_cdrs(sandbox) if len(_live([c])) == 2)
    recording = cdr["recordings"][1]
    target = tmp_path / "call.wav"
    result = run_cli("recordings", "download", str(cdr["id"]), recording["uuid"], "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert _media_ok(sandbox, target, recording["uuid"])
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".wav"] == ["call.wav"]


def test_download_two_recordings_to_one_file_name_is_refused(run_cli, sandbox, tmp_path):
    cdr = next(c for c in recorded_cdrs(sandbox) if len(c["recordings"]) == 2)
    result = run_cli("recordings", "download", str(cdr["id"]), "-o", str(tmp_path / "x.wav"))
    assert result.exit_code == 1
    assert f"CDR {cdr['id']} has 2 recordings" in result.stderr


def test_bulk_download_fetches_every_live_recording_of_the_window(
    run_cli, sandbox, window, tmp_path
):
    live = _live(recorded_cdrs(sandbox, _acme(sandbox)))
    result = _bulk(run_cli, window, tmp_path / "out", "--output", "json", "--concurrency", "3")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["downloaded"] == len(live) and summary["failed"] == 0
    assert summary["bytes"] == sum(sandbox.store.calllogd.media_size(r["uuid"]) for _, r in live)
    for _, recording in live:
        assert _media_ok(sandbox, tmp_path / "out" / recording["filename"], recording["uuid"])
    assert not list((tmp_path / "out").glob("*.part"))


def test_bulk_download_reports_deleted_recordings_and_goes_on(run_cli, sandbox, window, tmp_path):
    cdrs = recorded_cdrs(sandbox, _acme(sandbox))
    deleted = [r["uuid"] for c in cdrs for r in c["recordings"] if r["deleted"]]
    assert deleted, "the seed has deleted recordings"
    sandbox.log.clear()
    result = _bulk(run_cli, window, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert f"{len(deleted)} deleted on the server, 0 failed" in result.stdout
    assert all(f"recording {uuid}: deleted on the server" in result.stdout for uuid in deleted)
    fetched = {e.path.split("/")[-2] for e in sandbox.log.find(method="GET", path=MEDIA)}
    assert fetched.isdisjoint(deleted)
    assert len(fetched) == len(_live(cdrs))


def test_bulk_download_interrupted_then_resumed_fetches_each_file_once(
    run_cli, sandbox, window, tmp_path, no_backoff
):
    live = _live(recorded_cdrs(sandbox, _acme(sandbox)))
    lost = [live[3][1]["uuid"], live[6][1]["uuid"]]
    for uuid in lost:  # every attempt dropped: 1 + 3 retries
        sandbox.faults.add(drop=True, count=4, method="GET", path=uuid)
    sandbox.log.clear()
    first = _bulk(run_cli, window, tmp_path, "--output", "json")
    assert first.exit_code == 1
    failed = [f["recording_uuid"] for f in json.loads(first.stdout)["files"] if f["error"]]
    assert sorted(failed) == sorted(lost)

    second = _bulk(run_cli, window, tmp_path, "--output", "json")
    assert second.exit_code == 0, second.stderr
    summary = json.loads(second.stdout)
    assert (summary["downloaded"], summary["skipped"]) == (2, len(live) - 2)
    full_gets = Counter(
        e.path.split("/")[-2] for e in sandbox.log.find(method="GET", path=MEDIA) if e.status == 200
    )
    assert full_gets == Counter(r["uuid"] for _, r in live)  # each exactly once, both runs
    for _, recording in live:
        assert _media_ok(sandbox, tmp_path / recording["filename"], recording["uuid"])
    assert not list(tmp_path.glob("*.part"))


def test_a_stale_part_file_is_fetched_again_and_replaced(run_cli, sandbox, window, tmp_path):
    live = _live(recorded_cdrs(sandbox, _acme(sandbox)))
    for _, recording in live[1:]:  # a previous run got everything but the first
        target = tmp_path / recording["filename"]
        size = sandbox.store.calllogd.media_size(recording["uuid"])
        target.write_bytes(media_bytes(recording["uuid"], size))
    _, killed = live[0]
    (tmp_path / (killed["filename"] + ".part")).write_bytes(b"RIFF-half-written")
    sandbox.log.clear()
    result = _bulk(run_cli, window, tmp_path)
    assert result.exit_code == 0, result.stderr
    (get,) = sandbox.log.find(method="GET", path=MEDIA)
    assert killed["uuid"] in get.path
    assert _media_ok(sandbox, tmp_path / killed["filename"], killed["uuid"])
    assert not list(tmp_path.glob("*.part"))


def test_bulk_download_failure_is_one_line_per_file_and_exit_1(
    run_cli, sandbox, window, tmp_path, no_backoff
):
    (_, lost) = _live(recorded_cdrs(sandbox, _acme(sandbox)))[0]
    sandbox.faults.add(status=500, method="GET", path=lost["uuid"])
    result = _bulk(run_cli, window, tmp_path)
    assert result.exit_code == 1
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("failed")]
    assert lost["uuid"] in line and "-> 500" in line
    assert result.stdout.rstrip().endswith("1 failed")


def test_bulk_download_needs_a_directory(run_cli, window):
    result = run_cli("recordings", "download", "--from", window[0])
    assert result.exit_code == 1
    assert "needs -d DIR" in result.stderr


def test_bulk_download_shows_a_progress_bar_on_a_terminal_only(
    run_cli, window, tmp_path, monkeypatch
):
    assert "Downloading" not in _bulk(run_cli, window, tmp_path / "a").stderr
    monkeypatch.setattr("wazo_rec_tools.cli.recordings.is_tty", lambda: True)
    assert "Downloading" in _bulk(run_cli, window, tmp_path / "b").stderr


def test_a_recording_deleted_after_the_listing_is_reported_deleted(
    run_cli, sandbox, window, tmp_path, monkeypatch
):
    real = recordings_command.list_recordings
    (_, gone) = _live(recorded_cdrs(sandbox, _acme(sandbox)))[0]

    def list_then_delete(*args, **kwargs):
        rows = list(real(*args, **kwargs))
        sandbox.store.calllogd.find_recording(gone["uuid"])[1]["deleted"] = True
        return rows

    monkeypatch.setattr(recordings_command, "list_recordings", list_then_delete)
    result = _bulk(run_cli, window, tmp_path, "--output", "json")
    assert result.exit_code == 0, result.stderr
    outcome = next(
        f for f in json.loads(result.stdout)["files"] if f["recording_uuid"] == gone["uuid"]
    )
    assert outcome["status"] == "deleted"
    assert not list(tmp_path.glob(f"*{gone['uuid']}*"))
