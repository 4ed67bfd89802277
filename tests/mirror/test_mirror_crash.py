"""`mirror run` killed with SIGKILL after each step, then run again: each recording is delivered
exactly once, nothing stray is left, and nothing is deleted on the stack too early.

The runs are real child processes; the kill point is a step of the journal, the destination
or call-logd, wrapped so that the process kills itself right after (or during) that step.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from test_mirror_run import delivered_files

KILLER = """
import os, signal, sys
import requests
from wazo_rec_tools.destinations import base as destination_base
from wazo_rec_tools.mirror import journal
from wazo_rec_tools.wazo import calllogd

owner, name, when = os.environ["KILL_AT"].split(":")
target = {
    "journal": journal.MirrorJournal,
    "file": destination_base.Destination,
    "calllogd": calllogd.CallLogdClient,
    "response": requests.models.Response,
}[owner]
original = getattr(target, name)
calls = {"n": 0}

def wrapped(*args, **kwargs):
    calls["n"] += 1
    if when == "during" and "/media" in getattr(args[0], "url", ""):
        # a body cut half-way: the first chunks arrive, then the process dies
        def dying(*a, **k):
            for i, chunk in enumerate(original(*args, **kwargs)):
                if i == 1:
                    os.kill(os.getpid(), signal.SIGKILL)
                yield chunk
        return dying()
    result = original(*args, **kwargs)
    if when == "after" and calls["n"] == int(os.environ.get("KILL_AFTER_CALLS", "1")):
        os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(target, name, wrapped)
from wazo_rec_tools.cli import main
main()
"""

KILL_POINTS = [
    "journal:queue_and_advance:after",
    "response:iter_content:during",
    "journal:mark_downloaded:after",
    "file:deliver:after",  # the media is there, its sidecar is not
    "journal:mark_destination:after",
    "journal:mark_delivered:after",
]


def run_killed(config_file, kill_at: str, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, "-c", str(config_file), "mirror", "run"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, KILL_AT=kill_at, **env),
    )
    return proc


def stray(root) -> list[str]:
    return [n for n in delivered_files(root) if n.endswith((".tmp", ".part"))]


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_run_killed_after_each_step_converges_to_each_recording_delivered_once(
    kill_at, mirror_config, run_cli, add_call, mirror_dir, mirror_rows, state_dir, sandbox, tmp_path
):
    sandbox.store.calllogd.default_media_size = 3 * 1024 * 1024  # a body of several chunks
    add_call(recordings=2)
    roots = [mirror_dir, tmp_path / "second"]
    config = mirror_config(concurrency=1, destinations=[f"file://{r}" for r in roots])
    killed = run_killed(config, kill_at, KILL_AFTER_CALLS="2")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    survived = [delivered_files(root) for root in roots]

    result = run_cli("mirror", "run")

    assert result.exit_code == 0, result.stderr
    rows = mirror_rows()
    assert rows and all(r["status"] == "delivered" for r in rows)
    for root, before in zip(roots, survived, strict=True):
        files = delivered_files(root)
        assert len(files) == 2 * len(rows)  # one media and one sidecar per recording
        for row in rows:
            assert row["key"] in files and row["key"].replace(".wav", ".json") in files
        # what was already delivered before the kill was not written again
        assert {k: v for k, v in files.items() if k in before} == before
        assert not stray(root)
    spool = state_dir / "mirror-spool"
    assert not [p for p in spool.rglob("*") if p.is_file()]
    final = [delivered_files(root) for root in roots]
    again = run_cli("mirror", "run")
    assert again.exit_code == 0 and [delivered_files(root) for root in roots] == final


def test_run_killed_after_the_stack_deleted_converges_without_losing_the_journal(
    mirror_config, add_call, run_cli, mirror_rows, sandbox
):
    add_call()
    config = mirror_config(delete_after_delivery=True, keep_on_stack="0s")
    killed = run_killed(config, "calllogd:delete_recordings:after")
    assert killed.returncode == -signal.SIGKILL

    result = run_cli("mirror", "run")

    assert result.exit_code == 0, result.stderr
    assert {r["status"] for r in mirror_rows()} == {"deleted"}
