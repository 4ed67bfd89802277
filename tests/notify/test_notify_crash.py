"""A run killed with SIGKILL before it announced anything: the next run says what it did."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

from notify_receiver import SECRET, verify

# The child's downloads are slow (64 KiB every 0.2 s), so that it can be killed mid-run.
SLOW_CLI = """
import time
import requests

_iter_content = requests.models.Response.iter_content

def slow_iter_content(self, chunk_size=1, decode_unicode=False):
    for chunk in _iter_content(self, 64 * 1024, decode_unicode):
        time.sleep(0.2)
        yield chunk

requests.models.Response.iter_content = slow_iter_content
from wazo_rec_tools.cli import main
main()
"""


def delivered(state_dir) -> list[tuple[str, str]]:
    try:
        with sqlite3.connect(state_dir / "journal.sqlite3", timeout=5) as conn:
            rows = conn.execute(
                "SELECT tenant_uuid, from_utc FROM windows WHERE status = 'delivered'"
            ).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    return sorted(rows)


def test_windows_delivered_by_a_killed_run_are_announced_by_the_next_one(
    run_cli, webhook, receiver, config_file, state_dir
):
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_CLI, "-c", str(config_file), "export", "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not delivered(state_dir) and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    before = delivered(state_dir)
    assert 1 <= len(before) < 8, "the run was killed between its first and last delivery"
    assert receiver.at("/hook") == []  # it had not announced anything

    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    assert "did not finish (killed?)" in result.stderr
    events = [verify(SECRET, r) for r in receiver.at("/hook")]
    announced = [e for e in events if e["type"] == "export.delivered"]
    assert len(announced) == 8  # the killed run's windows, and this run's
    ids = [r.headers["webhook-id"] for r in receiver.at("/hook")]
    assert len(set(ids)) == len(ids)
    (failed,) = [e for e in events if e["type"] == "job.failed"]
    assert "interrupted" in failed["data"]["error"]
    receiver.clear()

    again = run_cli("export", "run")

    assert "did not finish" not in again.stderr
    assert receiver.at("/hook") == []
