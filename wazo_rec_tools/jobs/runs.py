"""The runs of each job: a row when a run starts, closed when it ends.

A row left open means the run was killed (kill -9, power loss, OOM) before its monitors ran:
the next run of the job says so, sends `job.failed` for it, and announces what it did (the
export's windows delivered since it started), so that no event is lost to a crash.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime


def begin(conn: sqlite3.Connection, job: str, at: datetime) -> tuple[int, datetime | None]:
    """Open this run's row; return its id and the start of the earliest run left open."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT MIN(started_at) FROM runs WHERE job = ? AND finished_at IS NULL", (job,)
        ).fetchone()
        cursor = conn.execute("INSERT INTO runs (job, started_at) VALUES (?, ?)", (job, _text(at)))
    interrupted = datetime.fromisoformat(row[0]) if row and row[0] else None
    return int(cursor.lastrowid or 0), interrupted


def finish(conn: sqlite3.Connection, job: str, run_id: int, at: datetime, ok: bool) -> None:
    """Close this run's row, and the rows of the interrupted runs it has reported."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE runs SET finished_at = ?, ok = 0 WHERE job = ? AND finished_at IS NULL "
            "AND id < ?",
            (_text(at), job, run_id),
        )
        conn.execute(
            "UPDATE runs SET finished_at = ?, ok = ? WHERE id = ?", (_text(at), int(ok), run_id)
        )
        # a short history is enough to find the open rows
        conn.execute(
            "DELETE FROM runs WHERE job = ? AND id NOT IN "
            "(SELECT id FROM runs WHERE job = ? ORDER BY id DESC LIMIT 100)",
            (job, job),
        )


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
