"""What the export tests look at: the sandbox's request log, the journal, the archives."""

from __future__ import annotations

import sqlite3
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
EXPORT_POST = r"/cdr/recordings/media/export$"
DOWNLOAD = r"/exports/[^/]+/download$"


def launched_posts(sandbox) -> list:
    """The export POSTs call-logd accepted (202), as the sandbox logged them."""
    return [r for r in sandbox.log.find(method="POST", path=EXPORT_POST) if r.status == 202]


def export_posts(sandbox) -> list:
    return sandbox.log.find(method="POST", path=EXPORT_POST)


def last_complete_weeks(count: int, today: date | None = None) -> list[tuple[datetime, datetime]]:
    """The `count` latest complete Monday-to-Monday weeks in Paris, oldest first."""
    today = today or datetime.now(PARIS).date()
    monday = today - timedelta(days=today.weekday())
    weeks = []
    for back in range(count, 0, -1):
        start = monday - timedelta(days=7 * back)
        weeks.append(
            (
                datetime.combine(start, datetime.min.time(), PARIS),
                datetime.combine(start + timedelta(days=7), datetime.min.time(), PARIS),
            )
        )
    return weeks


def listed_recordings(wazo, tenant_uuid: str, start: datetime, end: datetime) -> set[str]:
    """`<cdr_id>/<filename>` of the window's non-deleted recordings, as GET /cdr lists them."""
    names = set()
    for cdr in wazo.calllogd.cdrs(tenant=tenant_uuid, from_=start, until=end):
        for recording in cdr["recordings"]:
            if not recording["deleted"]:
                names.add(f"{cdr['id']}/{recording['filename']}")
    return names


def zip_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {info.filename for info in archive.infolist() if not info.is_dir()}


def journal_rows(state_dir: Path) -> list[dict]:
    """The journal's rows, read straight from SQLite (works while a run holds it)."""
    db = state_dir / "journal.sqlite3"
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM windows")]
    except sqlite3.OperationalError:  # the table does not exist yet
        return []
    finally:
        conn.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.01)
