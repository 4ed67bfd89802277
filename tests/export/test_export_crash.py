"""A run killed with SIGKILL at the worst moments, and a second run started during a first.

The runs are real child processes (`python -m wazo_rec_tools.cli`) against the sandbox of the
test process; the journal is read from SQLite while they run.
"""

from __future__ import annotations

import signal
import zipfile
from collections import Counter

from observed import (
    DOWNLOAD,
    export_posts,
    journal_rows,
    last_complete_weeks,
    launched_posts,
    listed_recordings,
    wait_until,
    zip_names,
)

# A slow link for the child process: the body of a download arrives 64 KiB every 10 ms.
THROTTLED_CLI = """
import time
import requests

_iter_content = requests.models.Response.iter_content

def slow_iter_content(self, chunk_size=1, decode_unicode=False):
    for chunk in _iter_content(self, 64 * 1024, decode_unicode):
        time.sleep(0.01)
        yield chunk

requests.models.Response.iter_content = slow_iter_content
from wazo_rec_tools.cli import main
main()
"""


def launched_rows(state_dir) -> list[dict]:
    return [row for row in journal_rows(state_dir) if row["status"] == "launched"]


def test_run_killed_while_polling_resumes_without_launching_again(
    cli_process, run_cli, sandbox, state_dir, archives, wazo
):
    sandbox.export_delay = 3.0  # the exports stay pending/processing while the run polls
    proc = cli_process("export", "run")
    wait_until(lambda: len(launched_rows(state_dir)) == 8, what="8 launched exports")
    assert proc.poll() is None

    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    sandbox.export_delay = 0.05
    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    per_window = Counter((post.tenant, post.params["from"]) for post in launched_posts(sandbox))
    assert len(per_window) == 8
    assert set(per_window.values()) == {1}
    rows = journal_rows(state_dir)
    assert {row["status"] for row in rows} == {"delivered", "empty"}
    assert all(row["attempts"] == 1 for row in rows if row["status"] == "delivered")
    acme = sandbox.store.tenant("acme")["uuid"]
    for start, end in last_complete_weeks(4):
        archive = archives / "acme" / f"{start.year}" / f"{start:%Y-%m-%d}_{end:%Y-%m-%d}.zip"
        assert zip_names(archive) == listed_recordings(wazo, acme, start, end)


def test_run_killed_while_downloading_downloads_again_without_launching_again(
    cli_process, run_cli, sandbox, state_dir, archives, wazo
):
    calllogd = sandbox.store.calllogd
    calllogd.default_media_size = 1_000_000
    calllogd.export_compression = zipfile.ZIP_STORED
    start, end = last_complete_weeks(1)[0]
    window = ["--tenant", "acme", "--from", start.isoformat(), "--until", end.isoformat()]
    spool = state_dir / "spool"
    proc = cli_process("export", "run", *window, script=THROTTLED_CLI)

    def partial_download() -> bool:
        parts = list(spool.glob("*.zip.part")) if spool.is_dir() else []
        return bool(parts) and parts[0].stat().st_size >= 1_000_000

    wait_until(partial_download, what="a partial download in the spool")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    (row,) = journal_rows(state_dir)
    assert row["status"] == "ready"
    (part,) = spool.glob("*.zip.part")
    killed_at = part.stat().st_size
    result = run_cli("export", "run", *window)

    assert result.exit_code == 0, result.stderr
    assert len(launched_posts(sandbox)) == 1
    assert len(sandbox.log.find(method="GET", path=DOWNLOAD)) == 2
    (row,) = journal_rows(state_dir)
    assert row["status"] == "delivered"
    assert killed_at < row["size"]
    archive = archives / "acme" / f"{start.year}" / f"{start:%Y-%m-%d}_{end:%Y-%m-%d}.zip"
    acme = sandbox.store.tenant("acme")["uuid"]
    assert zip_names(archive) == listed_recordings(wazo, acme, start, end)
    assert list(spool.iterdir()) == []


def test_second_run_during_a_first_is_refused_at_once(cli_process, run_cli, sandbox, state_dir):
    sandbox.export_delay = 2.0
    first = cli_process("export", "run")
    wait_until(lambda: len(export_posts(sandbox)) == 12, what="the first run's 12 launches")
    wait_until(lambda: len(launched_rows(state_dir)) == 8, what="8 exports journaled")

    second = run_cli("export", "run")

    assert second.exit_code == 1
    assert "another export run is in progress" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert len(export_posts(sandbox)) == 12
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
