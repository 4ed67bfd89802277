from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wazo_rec_tools.export.journal import Journal, JournalError, RunLock, RunLocked
from wazo_rec_tools.export.windows import Window, window_at
from wazo_rec_tools.jobs.state import StateError

PARIS = ZoneInfo("Europe/Paris")
TENANT = "7a3b8c0e-1111-4222-8333-444455556666"
WEEK = window_at(date(2026, 3, 25), "weekly", PARIS)
NEXT_WEEK = window_at(date(2026, 4, 1), "weekly", PARIS)


@pytest.fixture
def journal(tmp_path) -> Journal:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


def deliver(journal: Journal, window: Window, export_uuid: str = "e1") -> None:
    journal.mark_launched(TENANT, "acme", window, export_uuid)
    journal.mark_ready(TENANT, window)
    journal.mark_downloaded(
        TENANT,
        window,
        archive_path=Path("/spool/a.zip"),
        manifest_path=Path("/spool/a.zip.manifest.json"),
        size=10,
        sha256="ab" * 32,
        recordings=2,
    )
    journal.mark_delivered(TENANT, window, ["file:///archives/acme/2026/x.zip"])


def test_launch_records_the_export_uuid_and_counts_one_attempt(journal):
    entry = journal.mark_launched(TENANT, "acme", WEEK, "e1")

    assert (entry.status, entry.export_uuid, entry.attempts) == ("launched", "e1", 1)
    assert entry.tenant_slug == "acme"
    assert entry.window_from == "2026-03-23T00:00:00+01:00"
    assert entry.window == WEEK


def test_window_goes_launched_ready_downloaded_delivered(journal):
    deliver(journal, WEEK)

    entry = journal.get(TENANT, WEEK)
    assert entry.status == "delivered"
    assert entry.done
    assert (entry.size, entry.sha256, entry.recordings) == (10, "ab" * 32, 2)
    assert entry.locations == ["file:///archives/acme/2026/x.zip"]
    assert entry.delivered_at is not None
    assert (entry.archive_path, entry.manifest_path) == (None, None)  # spool copy no longer needed


def test_a_step_cannot_be_skipped(journal):
    journal.mark_launched(TENANT, "acme", WEEK, "e1")

    with pytest.raises(JournalError, match="cannot go from launched to delivered"):
        journal.mark_delivered(TENANT, WEEK, [])
    assert journal.get(TENANT, WEEK).status == "launched"


def test_a_delivered_window_is_never_launched_again(journal):
    deliver(journal, WEEK)

    with pytest.raises(JournalError, match="cannot go from delivered to launched"):
        journal.mark_launched(TENANT, "acme", WEEK, "e2")


def test_failed_window_can_be_launched_again_and_attempts_add_up(journal):
    journal.mark_launched(TENANT, "acme", WEEK, "e1")
    journal.mark_failed(TENANT, None, WEEK, "call-logd export e1 ended in error")

    entry = journal.mark_launched(TENANT, "acme", WEEK, "e2")

    assert (entry.status, entry.export_uuid, entry.attempts) == ("launched", "e2", 2)
    assert entry.last_error is None


def test_failure_keeps_the_error_and_the_export_uuid(journal):
    journal.mark_launched(TENANT, "acme", WEEK, "e1")

    entry = journal.mark_failed(TENANT, None, WEEK, "export e1 ended in error")

    assert (entry.status, entry.export_uuid, entry.last_error) == (
        "failed",
        "e1",
        "export e1 ended in error",
    )


def test_transient_error_is_noted_without_changing_the_status(journal):
    journal.mark_launched(TENANT, "acme", WEEK, "e1")

    journal.note_error(TENANT, WEEK, "call-logd unreachable")

    entry = journal.get(TENANT, WEEK)
    assert (entry.status, entry.last_error) == ("launched", "call-logd unreachable")


def test_empty_window_is_done_with_zero_recordings(journal):
    entry = journal.mark_empty(TENANT, "acme", WEEK)

    assert entry.done
    assert entry.recordings == 0
    assert journal.done_keys(TENANT) == {WEEK.key}


def test_done_until_is_the_end_of_the_latest_scheduled_window_done(journal):
    deliver(journal, WEEK)
    journal.mark_launched(TENANT, "acme", NEXT_WEEK, "e2")
    one_off = Window(datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC))
    journal.mark_empty(TENANT, "acme", one_off)

    assert journal.done_until(TENANT) == WEEK.end_utc
    assert journal.done_until("another-tenant") is None


def test_unfinished_lists_every_row_not_done_oldest_first(journal):
    journal.mark_launched(TENANT, "acme", NEXT_WEEK, "e2")
    journal.mark_launched(TENANT, "acme", WEEK, "e1")
    journal.mark_failed(TENANT, None, WEEK, "boom")
    journal.mark_empty(TENANT, "acme", window_at(date(2026, 3, 16), "weekly", PARIS))

    assert [(e.window, e.status) for e in journal.unfinished(TENANT)] == [
        (WEEK, "failed"),
        (NEXT_WEEK, "launched"),
    ]


def test_reading_a_missing_journal_says_no_export_has_run(tmp_path):
    with pytest.raises(JournalError, match="no export has run yet"):
        Journal.open(tmp_path / "nothing", create=False)
    assert not (tmp_path / "nothing").exists()


def test_journal_killed_mid_transaction_keeps_every_committed_change(tmp_path):
    state = tmp_path / "state"
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import date
        from zoneinfo import ZoneInfo
        from wazo_rec_tools.export.journal import Journal
        from wazo_rec_tools.export.windows import window_at
        week = window_at(date(2026, 3, 25), "weekly", ZoneInfo("Europe/Paris"))
        journal = Journal.open({str(state)!r})
        journal.mark_launched("{TENANT}", "acme", week, "e1")
        journal.mark_ready("{TENANT}", week)
        journal.conn.execute("BEGIN IMMEDIATE")
        journal.conn.execute("UPDATE windows SET status='delivered', export_uuid='e-lost'")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )

    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)

    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Journal.open(state) as reopened:
        entry = reopened.get(TENANT, WEEK)
        assert (entry.status, entry.export_uuid) == ("ready", "e1")
        assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        reopened.mark_failed(TENANT, None, WEEK, "resumed after a crash")


def test_second_run_is_refused_while_the_lock_is_held(tmp_path):
    with RunLock(tmp_path), pytest.raises(RunLocked) as refused:
        RunLock(tmp_path).acquire()

    message = str(refused.value)
    assert "another export run is in progress" in message
    assert f"pid {os.getpid()}" in message
    assert str(tmp_path / "export.lock") in message


def test_lock_is_free_again_after_release(tmp_path):
    RunLock(tmp_path).acquire().release()

    with RunLock(tmp_path):
        pass


def test_lock_of_a_killed_run_is_free_at_once(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal
        from wazo_rec_tools.export.journal import RunLock
        RunLock({str(tmp_path)!r}).acquire()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    with RunLock(tmp_path):
        pass


def test_state_dir_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(StateError, match=r"cannot create export\.state_dir"):
        RunLock(blocker / "state").acquire()
