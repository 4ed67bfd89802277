"""`kill -9` at each point of an export run, then a plain re-run: it converges.

The killed run is a real child process (`python -m wazo_rec_tools.cli`) with one function
wrapped to SIGKILL the process before or after its first call. After the re-run every window
is delivered exactly once, the journal tiles time, and nothing stray is left in the
destination or the spool.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import signal
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from observed import journal_rows, launched_posts, listed_recordings

KILL = "os.kill(os.getpid(), signal.SIGKILL)"

# (what, module, attribute path, when): `when` is before/after the wrapped call
KILL_POINTS = [
    ("after-intent", "wazo_rec_tools.export.journal", "Journal.mark_planned", "after"),
    (
        "after-launch-accepted",
        "wazo_rec_tools.wazo.calllogd",
        "CallLogdClient.create_export",
        "after",
    ),
    ("before-archive-check", "wazo_rec_tools.export.job", "check_archive", "before"),
    ("after-spool-journaled", "wazo_rec_tools.export.journal", "Journal.mark_downloaded", "after"),
    ("after-link-before-temp-removed", "os", "link", "after"),
    (
        "before-delivery-journaled",
        "wazo_rec_tools.export.journal",
        "Journal.mark_delivered",
        "before",
    ),
    ("before-spool-cleaned", "wazo_rec_tools.export.journal", "Journal.mark_delivered", "after"),
]

WRAPPER = """
import importlib, os, signal
module = importlib.import_module({module!r})
owner, _, name = {attribute!r}.rpartition(".")
holder = getattr(module, owner) if owner else module
original = getattr(holder, name)

def wrapped(*args, **kwargs):
    if {when!r} == "before":
        {kill}
    result = original(*args, **kwargs)
    {kill}
    return result

setattr(holder, name, wrapped)
from wazo_rec_tools.cli import main
main()
"""

# A copy into the destination cut half-way: the temporary file holds half the archive.
MID_COPY = """
import os, signal
from wazo_rec_tools import durable

def half_copy(source, out):
    data = open(source, "rb").read()
    out.write(data[: len(data) // 2])
    out.flush()
    os.fsync(out.fileno())
    {kill}

durable._copy = half_copy
from wazo_rec_tools.cli import main
main()
"""


def killed_run(cli_process, script: str) -> None:
    proc = cli_process("export", "run", "--tenant", "acme", script=script)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err


def assert_converged(run_cli, sandbox, wazo, state_dir: Path, archives: Path) -> None:
    result = run_cli("export", "run", "--tenant", "acme")
    assert result.exit_code == 0, result.stderr
    rows = journal_rows(state_dir)
    assert {row["status"] for row in rows} == {"delivered"}
    spans = sorted((row["from_utc"], row["until_utc"]) for row in rows)
    assert len(spans) == 4
    for (_, earlier_end), (later_start, _) in itertools.pairwise(spans):
        assert earlier_end == later_start
    files = sorted(p for p in archives.rglob("*") if p.is_file())
    assert len(files) == 2 * len(rows), [p.name for p in files]
    assert not [p for p in archives.rglob(".*")], "a stray temporary file"
    acme = sandbox.store.tenant("acme")["uuid"]
    for row in rows:
        (location,) = json.loads(row["locations"])
        archive = Path(location.removeprefix("file://"))
        assert hashlib.sha256(archive.read_bytes()).hexdigest() == row["sha256"]
        manifest = json.loads(archive.with_name(archive.name + ".manifest.json").read_text())
        assert manifest["archive"]["sha256"] == row["sha256"]
        start = datetime.fromisoformat(row["window_from"])
        end = datetime.fromisoformat(row["window_until"])
        with zipfile.ZipFile(archive) as opened:
            names = {i.filename for i in opened.infolist() if not i.is_dir()}
        assert names == listed_recordings(wazo, acme, start, end)
    spool = state_dir / "spool"
    assert not spool.exists() or list(spool.iterdir()) == []
    status = json.loads(run_cli("export", "status", "--output", "json").stdout)
    assert status["pending"] == []


@pytest.mark.parametrize(
    ("module", "attribute", "when"),
    [point[1:] for point in KILL_POINTS],
    ids=[point[0] for point in KILL_POINTS],
)
def test_a_run_killed_at_each_point_converges_on_the_next_run(
    cli_process, run_cli, sandbox, wazo, state_dir, archives, module, attribute, when
):
    killed_run(
        cli_process, WRAPPER.format(module=module, attribute=attribute, when=when, kill=KILL)
    )

    assert_converged(run_cli, sandbox, wazo, state_dir, archives)
    # a launch accepted but not journaled is launched again (call-logd keeps a stray export,
    # never downloaded); every other point resumes without launching again
    per_window = Counter(post.params["from"] for post in launched_posts(sandbox))
    assert len(per_window) == 4
    expected = {1, 2} if attribute.endswith("create_export") else {1}
    assert set(per_window.values()) <= expected


def test_a_copy_cut_half_way_leaves_no_partial_file_in_the_destination(
    cli_process, run_cli, sandbox, wazo, state_dir, archives
):
    killed_run(cli_process, MID_COPY.format(kill=KILL))
    (partial,) = list(archives.rglob(".*.tmp"))
    assert partial.stat().st_size > 0
    assert [r["status"] for r in journal_rows(state_dir)].count("downloaded") >= 1

    assert_converged(run_cli, sandbox, wazo, state_dir, archives)
