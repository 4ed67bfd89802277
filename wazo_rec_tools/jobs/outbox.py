"""The outbox: webhook events kept in the state database until a receiver took them.

Delivery is at least once. An event is written here, committed, and only then sent; one that
could not be delivered stays and is sent again by the next run with the same `webhook-id`
and the same body (receivers deduplicate on the id). A row is per event and hook, so two
receivers never wait on each other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .events import Event

KEEP_DELIVERED = timedelta(days=30)  # delivered rows are history, pruned after this


@dataclass(frozen=True)
class Pending:
    id: str
    hook: str
    event_type: str
    body: str
    created_at: str
    attempts: int
    last_error: str | None


class Outbox:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def add(self, event: Event, hooks: list[str], now: datetime) -> None:
        """Keep `event` for each hook key, in one transaction (no event is half queued)."""
        if not hooks:
            return
        body = event.body()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT OR IGNORE INTO outbox (id, hook, event_type, body, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(event.id, hook, event.type, body, _text(now)) for hook in hooks],
            )

    def pending(self, hook: str) -> list[Pending]:
        rows = self.conn.execute(
            "SELECT id, hook, event_type, body, created_at, attempts, last_error FROM outbox "
            "WHERE hook = ? AND delivered_at IS NULL ORDER BY created_at, rowid",
            (hook,),
        ).fetchall()
        return [Pending(*row) for row in rows]

    def delivered(self, item: Pending, now: datetime) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, "
                "last_attempt_at = ?, last_error = NULL WHERE id = ? AND hook = ?",
                (_text(now), _text(now), item.id, item.hook),
            )

    def failed(self, item: Pending, error: str, now: datetime) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, "
                "last_error = ? WHERE id = ? AND hook = ?",
                (_text(now), error, item.id, item.hook),
            )

    def counts(self) -> dict[str, int]:
        """Undelivered events per hook key."""
        rows = self.conn.execute(
            "SELECT hook, COUNT(*) FROM outbox WHERE delivered_at IS NULL GROUP BY hook"
        ).fetchall()
        return {hook: n for hook, n in rows}

    def prune(self, now: datetime, hooks: list[str]) -> None:
        """Drop delivered rows after a while, and the events of a hook that is no longer
        configured once they are as old (a hook commented out for a day keeps its events)."""
        cutoff = _text(now - KEEP_DELIVERED)
        marks = ",".join("?" for _ in hooks)
        with self.conn:
            self.conn.execute(
                "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?",
                (cutoff,),
            )
            self.conn.execute(
                f"DELETE FROM outbox WHERE delivered_at IS NULL AND created_at < ? "
                f"AND hook NOT IN ({marks})",
                (cutoff, *hooks),
            )


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
