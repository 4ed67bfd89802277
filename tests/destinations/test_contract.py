"""The destination contract, the same cases on every kind, each against a real server."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.destinations.conftest import KINDS, Harness, snapshot
from wazo_rec_tools.destinations import (
    DestinationConflict,
    DestinationError,
    StateUploads,
    open_destination,
)
from wazo_rec_tools.jobs.state import open_state

REMOTE = [k for k in KINDS if k != "file"]
KEY = "acme/2026/2026-03-23_2026-03-30.zip"
MIB = 1024 * 1024


def make_file(tmp_path: Path, size: int, name: str = "archive.zip") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def stored(destination, key: str) -> bytes:
    return b"".join(destination.store.read(key))


def no_sleep(_: float) -> None:
    pass


@pytest.mark.parametrize("size", [1000, 7 * MIB])
def test_delivers_the_file_under_its_key_and_says_where(harness: Harness, tmp_path, size):
    path, sha = make_file(tmp_path, size)
    destination = open_destination(harness.spec())

    location = destination.deliver(path, KEY, sha)

    assert location.endswith("/wazo/" + KEY) or location.endswith(KEY)
    assert stored(destination, KEY) == path.read_bytes()
    assert destination.exists(KEY, sha)
    assert harness.leftovers() == []


def test_delivering_the_same_content_again_writes_nothing(harness: Harness, tmp_path):
    path, sha = make_file(tmp_path, 3000)
    destination = open_destination(harness.spec())
    destination.deliver(path, KEY, sha)
    before = snapshot(harness, KEY)

    again = open_destination(harness.spec()).deliver(path, KEY, sha)

    assert again == destination.location(KEY)
    assert snapshot(harness, KEY) == before


def test_other_content_under_the_key_is_a_conflict_and_is_never_overwritten(
    harness: Harness, tmp_path
):
    harness.plant(KEY, b"someone else's archive")
    path, sha = make_file(tmp_path, 3000)
    destination = open_destination(harness.spec())

    with pytest.raises(DestinationConflict, match="already exists with different content"):
        destination.deliver(path, KEY, sha)

    assert stored(destination, KEY) == b"someone else's archive"


def test_store_create_only_condition_refuses_an_existing_object(harness: Harness, tmp_path):
    """Below the look-before check: the store's own condition (If-None-Match, generation 0,
    hard link) refuses to replace an object."""
    from wazo_rec_tools.destinations.base import AlreadyThere, Source
    from wazo_rec_tools.destinations.uploads import MemoryUploads

    harness.plant(KEY, b"first")
    path, sha = make_file(tmp_path, 2000)
    destination = open_destination(harness.spec())

    with pytest.raises(AlreadyThere):
        destination.store.create(KEY, Source(path, sha, 2000), MemoryUploads())

    assert stored(destination, KEY) == b"first"


@pytest.mark.parametrize("harness", REMOTE, indirect=True)
def test_transient_failures_are_retried_until_the_delivery_succeeds(harness: Harness, tmp_path):
    path, sha = make_file(tmp_path, 2 * MIB)
    harness.faults().fail_next = 2  # HTTP 503 twice, or the SSH connection dropped twice
    delays: list[float] = []
    destination = open_destination(harness.spec(), sleep=delays.append)

    destination.deliver(path, KEY, sha)

    assert harness.faults().failed == 2
    assert delays[:1] == [1.0]  # parallel parts may fail in the same try
    assert stored(destination, KEY) == path.read_bytes()
    assert harness.leftovers() == []


@pytest.mark.parametrize("harness", REMOTE, indirect=True)
def test_a_failure_that_lasts_ends_in_one_line_naming_the_destination(harness: Harness, tmp_path):
    path, sha = make_file(tmp_path, 1000)
    harness.faults().fail_next = 100
    destination = open_destination(harness.spec(retries=3), sleep=no_sleep)

    with pytest.raises(DestinationError) as failure:
        destination.deliver(path, KEY, sha)

    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith(destination.location(KEY))
    assert "the next run tries again" in message
    assert failure.value.__cause__ is None and failure.value.__suppress_context__ is False


@pytest.mark.parametrize("harness", REMOTE, indirect=True)
def test_refused_credentials_end_in_one_clear_line_without_the_secret(
    harness: Harness, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    path, sha = make_file(tmp_path, 1000)
    assert harness.bad_entry is not None

    with pytest.raises(DestinationError) as failure:
        open_destination(harness.spec(**harness.bad_entry), sleep=no_sleep).deliver(path, KEY, sha)

    message = str(failure.value)
    assert "\n" not in message
    assert "credentials" in message or "key" in message
    bad_secret = (harness.credentials_dir / harness.bad_entry["credentials"]).read_text()
    assert_no_secret([message, caplog.text], bad_secret)


@pytest.mark.parametrize("harness", REMOTE, indirect=True)
def test_the_secret_never_appears_in_logs_errors_or_output(
    harness: Harness, tmp_path, caplog, capfd
):
    caplog.set_level(logging.DEBUG)  # the SDKs' own debug logs included
    path, sha = make_file(tmp_path, 6 * MIB)
    destination = open_destination(harness.spec())
    destination.deliver(path, KEY, sha)
    destination.deliver(path, KEY, sha)
    check = destination.check()
    harness.faults().fail_next = 100
    with pytest.raises(DestinationError) as failure:
        open_destination(harness.spec(retries=2), sleep=no_sleep).deliver(path, "other.zip", sha)
    out, err = capfd.readouterr()

    assert check.writable
    assert harness.secret is not None
    assert_no_secret([caplog.text, str(failure.value), check.line, out, err], harness.secret)
    assert len(caplog.records) > 0  # the debug logs were captured, and read


@pytest.mark.parametrize("harness", REMOTE, indirect=True)
def test_an_upload_killed_midway_publishes_nothing_and_the_next_run_completes_it(
    harness: Harness, tmp_path
):
    size = 16 * MIB
    path, sha = make_file(tmp_path, size)
    state = tmp_path / "state"
    open_state(state).close()
    spec = {**harness.entry, "concurrency": 1} if harness.kind in ("s3", "azure") else {}
    entry = {**harness.entry, **spec}
    faults = harness.faults()
    faults.rate = 4 * MIB  # bytes/s: slow enough to be killed in the middle
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(entry), str(state), str(path), KEY, sha],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while faults.sent < 7 * MIB:
        assert child.poll() is None, f"the upload ended before being killed: {child.stderr}"
        assert time.monotonic() < deadline, "the upload never got going"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    faults.rate = None
    faults.sent = 0
    conn = open_state(state)
    uploads = StateUploads(conn)
    destination = open_destination(harness.spec(**spec), uploads=uploads)

    assert not destination.exists(KEY, sha)  # nothing half-written is visible
    destination.deliver(path, KEY, sha)

    assert stored(destination, KEY) == path.read_bytes()
    assert harness.leftovers() == []
    assert uploads.pending() == []
    if harness.resumes:
        assert faults.sent < size - MIB  # what was stored before the kill is reused
    conn.close()
    journal = b"".join(p.read_bytes() for p in state.iterdir() if p.is_file())
    assert_no_secret([journal.decode("latin-1")], harness.secret)


CHILD = """
import json, sys
from pathlib import Path
from wazo_rec_tools.destinations import StateUploads, open_destination, parse_entry
from wazo_rec_tools.jobs.state import open_state
entry, state, path, key, sha = sys.argv[1:]
uploads = StateUploads(open_state(Path(state)))
open_destination(parse_entry(json.loads(entry)), uploads=uploads).deliver(Path(path), key, sha)
"""


def test_check_writes_reads_back_and_removes_a_probe(harness: Harness):
    destination = open_destination(harness.spec())

    result = destination.check()

    assert (result.writable, result.readable, result.message) == (True, True, "ok")
    assert result.line == f"{harness.entry['url'].rstrip('/')}: ok"
    assert harness.leftovers() == []


def assert_no_secret(texts: list[str], secret: str) -> None:
    # a key's lines, whether in a PEM file or escaped in a JSON key file
    lines = [line.strip() for line in re.split(r"\\n|\n", secret)]
    pieces = [p for p in [secret.strip(), *lines] if len(p) >= 16 and "PRIVATE KEY" not in p]
    assert pieces, "nothing to look for"
    for text in texts:
        for piece in pieces:
            assert piece not in text


@pytest.mark.parametrize(
    ("harness", "leftover"),
    [("file", ".w.zip.1a2b3c4d.tmp"), ("sftp", ".w.zip.part")],
    indirect=["harness"],
)
def test_sweep_removes_the_temporary_names_a_killed_delivery_left(harness: Harness, leftover):
    harness.plant(f"acme/2026/{leftover}", b"half an archive")
    destination = open_destination(harness.spec())

    removed = destination.sweep()

    assert [r.rsplit("/", 1)[-1] for r in removed] == [leftover]
    assert harness.leftovers() == []
