from __future__ import annotations

import os
import signal
import sqlite3
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


def launch(journal: Journal, window: Window, export_uuid: str):
    journal.mark_planned(TENANT, "acme", [window])
    return journal.mark_launched(TENANT, "acme", window, export_uuid)


def empty(journal: Journal, window: Window):
    journal.mark_planned(TENANT, "acme", [window])
    return journal.mark_empty(TENANT, "acme", window)


def deliver(journal: Journal, window: Window, export_uuid: str = "e1") -> None:
    launch(journal, window, export_uuid)
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
    entry = launch(journal, WEEK, "e1")

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
    launch(journal, WEEK, "e1")

    with pytest.raises(JournalError, match="cannot go from launched to delivered"):
        journal.mark_delivered(TENANT, WEEK, [])
    assert journal.get(TENANT, WEEK).status == "launched"


def test_a_delivered_window_is_never_launched_again(journal):
    deliver(journal, WEEK)

    with pytest.raises(JournalError, match="cannot go from delivered to planned"):
        journal.mark_planned(TENANT, "acme", [WEEK])
    with pytest.raises(JournalError, match="cannot go from delivered to launched"):
        journal.mark_launched(TENANT, "acme", WEEK, "e2")


def test_failed_window_can_be_launched_again_and_attempts_add_up(journal):
    launch(journal, WEEK, "e1")
    journal.mark_failed(TENANT, None, WEEK, "call-logd export e1 ended in error")

    entry = launch(journal, WEEK, "e2")

    assert (entry.status, entry.export_uuid, entry.attempts) == ("launched", "e2", 2)
    assert entry.last_error is None


def test_failure_keeps_the_error_and_the_export_uuid(journal):
    launch(journal, WEEK, "e1")

    entry = journal.mark_failed(TENANT, None, WEEK, "export e1 ended in error")

    assert (entry.status, entry.export_uuid, entry.last_error) == (
        "failed",
        "e1",
        "export e1 ended in error",
    )


def test_transient_error_is_noted_without_changing_the_status(journal):
    launch(journal, WEEK, "e1")

    journal.note_error(TENANT, WEEK, "call-logd unreachable")

    entry = journal.get(TENANT, WEEK)
    assert (entry.status, entry.last_error) == ("launched", "call-logd unreachable")


def test_empty_window_is_done_with_zero_recordings(journal):
    entry = empty(journal, WEEK)

    assert entry.done
    assert entry.recordings == 0
    assert journal.done_keys(TENANT) == {WEEK.key}


def test_covered_time_is_every_scheduled_row_whatever_its_status(journal):
    deliver(journal, WEEK)
    launch(journal, NEXT_WEEK, "e2")
    one_off = Window(datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC))
    empty(journal, one_off)

    assert sorted(journal.covered(TENANT)) == [
        (WEEK.start_utc, WEEK.end_utc),
        (NEXT_WEEK.start_utc, NEXT_WEEK.end_utc),
    ]
    assert journal.covered("another-tenant") == []


def test_unfinished_lists_every_row_not_done_oldest_first(journal):
    launch(journal, NEXT_WEEK, "e2")
    launch(journal, WEEK, "e1")
    journal.mark_failed(TENANT, None, WEEK, "boom")
    empty(journal, window_at(date(2026, 3, 16), "weekly", PARIS))

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
        journal.mark_planned("{TENANT}", "acme", [week])
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


def test_the_intent_is_journaled_before_the_launch_and_counts_no_attempt(journal):
    journal.mark_planned(TENANT, "acme", [WEEK, NEXT_WEEK])

    assert [(e.window, e.status, e.attempts) for e in journal.unfinished(TENANT)] == [
        (WEEK, "planned", 0),
        (NEXT_WEEK, "planned", 0),
    ]
    assert len(journal.covered(TENANT)) == 2


def test_a_window_cannot_be_launched_without_its_intent(journal):
    with pytest.raises(JournalError, match="cannot go from nothing to launched"):
        journal.mark_launched(TENANT, "acme", WEEK, "e1")


def test_skip_gives_up_the_rows_not_done_before_its_end_and_keeps_its_reason(journal):
    deliver(journal, window_at(date(2026, 3, 16), "weekly", PARIS))
    launch(journal, WEEK, "e1")
    journal.mark_failed(TENANT, None, WEEK, "ended in error")
    journal.mark_planned(TENANT, "acme", [NEXT_WEEK])

    given_up = journal.skip(TENANT, "acme", WEEK.end, "recordings lost in the 2026 outage")

    assert [e.window for e in given_up] == [WEEK]
    assert journal.get(TENANT, WEEK).status == "skipped"
    assert journal.get(TENANT, NEXT_WEEK).status == "planned"  # ends after the skip
    assert [e.window for e in journal.unfinished(TENANT)] == [NEXT_WEEK]
    assert journal.given_up_until(TENANT) == WEEK.end_utc
    (skip,) = journal.skips(TENANT)
    assert (skip.reason, skip.windows, skip.until) == (
        "recordings lost in the 2026 outage",
        1,
        WEEK.end.isoformat(),
    )


def test_a_journal_of_schema_version_1_migrates_and_keeps_its_rows(tmp_path):
    from wazo_rec_tools.jobs import state

    state_dir = tmp_path / "state"
    state_dir.mkdir()
    conn = sqlite3.connect(state_dir / state.DB_NAME, isolation_level=None)
    state.MIGRATIONS[0].apply(conn)
    conn.execute(f"PRAGMA user_version={state.MIGRATIONS[0].version}")
    conn.execute(
        "INSERT INTO windows (tenant_uuid, from_utc, until_utc, tenant_slug, window_from, "
        "window_until, kind, status, export_uuid, attempts, created_at, updated_at) "
        "VALUES (?, ?, ?, 'acme', ?, ?, 'weekly', 'failed', 'e1', 3, 'x', 'x')",
        (TENANT, *WEEK.key, WEEK.start.isoformat(), WEEK.end.isoformat()),
    )
    conn.close()

    with Journal.open(state_dir) as journal:
        assert state.schema_version(journal.conn) == state.LATEST
        entry = journal.get(TENANT, WEEK)
        assert (entry.status, entry.attempts, entry.export_uuid) == ("failed", 3, "e1")
        journal.skip(TENANT, "acme", WEEK.end, "migrated")
        assert journal.get(TENANT, WEEK).status == "skipped"
