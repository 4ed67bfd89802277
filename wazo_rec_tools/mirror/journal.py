"""The mirror's journal: one row per recording, a cursor per tenant, the queued backfills.

A recording goes `pending → downloaded → delivered` (each destination recorded as it is
done) `→ deleted` (on the stack, with `delete_after_delivery`), or ends `gone` (deleted or its
file missing on the stack before it could be fetched: reported, not retried). A failure keeps
the step reached, counts an attempt and sets the time of the next one; after `max_attempts`
the recording stays `failed` (given up, shown by `mirror status`, never forgotten).

The steps of a recording are committed in batches (group commit: every `BATCH_SIZE` changes
or `BATCH_SECONDS`, and before anything is read back): a change not committed yet when a run
is killed only makes the journal say *less* than was done, never more, so the next run does
that step again — a download again, an upload that the create-only destinations answer without
writing. The journal never claims a delivery before the destination holds the object. What
the cursor, the backfills and the stack's deletions depend on is committed at once.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..jobs.state import open_state
from .layout import Found, object_key

Status = Literal["pending", "downloaded", "delivered", "deleted", "gone", "failed"]
STATUSES: tuple[Status, ...] = ("pending", "downloaded", "delivered", "deleted", "gone", "failed")
BATCH_SIZE = 64
BATCH_SECONDS = 0.5


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Recording:
    """One journal row."""

    tenant_uuid: str
    recording_uuid: str
    tenant_slug: str
    cdr_id: int
    start_time: str
    end_time: str | None
    key: str
    cdr: dict[str, Any]
    status: Status
    spool_path: str | None = None
    size: int | None = None
    sha256: str | None = None
    sealed_sha256: str | None = None  # of the encrypted media, with encryption.age_recipients
    delivered_to: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    next_attempt_at: str | None = None
    last_error: str | None = None
    created_at: str = ""
    updated_at: str = ""
    delivered_at: str | None = None
    deleted_at: str | None = None

    def given_up(self, max_attempts: int) -> bool:
        return self.status == "failed" and self.attempts >= max_attempts

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant_uuid": self.tenant_uuid,
            "tenant_slug": self.tenant_slug,
            "cdr_id": self.cdr_id,
            "recording_uuid": self.recording_uuid,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "key": self.key,
            "status": self.status,
            "size": self.size,
            "sha256": self.sha256,
            "encrypted_sha256": self.sealed_sha256,
            "locations": dict(self.delivered_to),
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "delivered_at": self.delivered_at,
            "deleted_at": self.deleted_at,
        }


@dataclass(frozen=True)
class Backfill:
    id: int
    tenant_uuid: str
    tenant_slug: str
    from_utc: str
    until_utc: str
    next_cdr_id: int
    created_at: str
    done_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant_uuid": self.tenant_uuid,
            "tenant_slug": self.tenant_slug,
            "from": self.from_utc,
            "until": self.until_utc,
            "created_at": self.created_at,
            "done_at": self.done_at,
        }


class MirrorJournal:
    """The mirror tables of the state database. Safe to share between the run's threads."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._lock = threading.RLock()
        self._pending: list[tuple[str, str, dict[str, Any]]] = []
        self._committed_at = time.monotonic()

    @classmethod
    def open(cls, state_dir: Path, *, create: bool = True) -> MirrorJournal:
        return cls(open_state(Path(state_dir), create=create, shared=True))

    def close(self) -> None:
        self.flush()
        self.conn.close()

    def flush(self) -> None:
        """Commit the recordings' steps not committed yet, in one transaction."""
        with self._lock:
            pending, self._pending = self._pending, []
            self._committed_at = time.monotonic()
            if not pending:
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for tenant_uuid, recording_uuid, columns in pending:
                    sets = ", ".join(f"{name}=?" for name in columns)
                    self.conn.execute(
                        f"UPDATE mirror_recordings SET {sets} "
                        "WHERE tenant_uuid=? AND recording_uuid=?",
                        (*columns.values(), tenant_uuid, recording_uuid),
                    )
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def __enter__(self) -> MirrorJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.flush()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def _rows(self, sql: str, args: tuple = ()) -> list[Recording]:
        with self._lock:
            self.flush()
            return [_recording(row) for row in self.conn.execute(sql, args)]

    # -- cursor and backfills ------------------------------------------------------------

    def cursor(self, tenant_uuid: str) -> tuple[int, datetime] | None:
        """The first CDR id not listed yet for the tenant, and the start of the calls the
        mirror covers (None before the first run)."""
        with self._lock:
            self.flush()
            row = self.conn.execute(
                "SELECT next_cdr_id, since FROM mirror_cursors WHERE tenant_uuid=?",
                (tenant_uuid,),
            ).fetchone()
        return None if row is None else (int(row[0]), datetime.fromisoformat(row[1]))

    def cursors(self) -> dict[str, tuple[str, int, str]]:
        """tenant uuid -> (slug, next CDR id, when it last moved)."""
        with self._lock:
            self.flush()
            rows = self.conn.execute(
                "SELECT tenant_uuid, tenant_slug, next_cdr_id, updated_at FROM mirror_cursors"
            ).fetchall()
        return {r[0]: (r[1], int(r[2]), r[3]) for r in rows}

    def queue(self, tenant_uuid: str, tenant_slug: str, found: list[Found]) -> int:
        """Journal the recordings not seen before (insert or ignore); how many were new.

        A recording already deleted on the stack is journaled `gone` at once.
        """
        now = _now()
        added = 0
        with self._transaction() as conn:
            for item in found:
                status = "gone" if item.deleted else "pending"
                error = "deleted on the stack before it could be fetched" if item.deleted else None
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO mirror_recordings (tenant_uuid, recording_uuid, "
                    "tenant_slug, cdr_id, start_time, end_time, key, cdr, status, last_error, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        tenant_uuid,
                        item.recording_uuid,
                        tenant_slug,
                        item.cdr_id,
                        item.start_time.isoformat(),
                        item.end_time.isoformat() if item.end_time else None,
                        object_key(tenant_slug, item.cdr_id, item.recording_uuid, item.start_time),
                        json.dumps(item.cdr, sort_keys=True),
                        status,
                        error,
                        now,
                        now,
                    ),
                )
                added += cursor.rowcount
        return added

    def queue_and_advance(
        self,
        tenant_uuid: str,
        tenant_slug: str,
        found: list[Found],
        next_cdr_id: int,
        since: datetime,
    ) -> int:
        """`queue`, and move the tenant's cursor, in one transaction: the cursor never passes
        a recording that is not in the journal."""
        with self._lock:
            added = self.queue(tenant_uuid, tenant_slug, found)
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO mirror_cursors (tenant_uuid, tenant_slug, next_cdr_id, since, "
                    "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_uuid) DO UPDATE SET "
                    "tenant_slug=excluded.tenant_slug, next_cdr_id=MAX(next_cdr_id, "
                    "excluded.next_cdr_id), updated_at=excluded.updated_at",
                    (tenant_uuid, tenant_slug, next_cdr_id, since.isoformat(), _now()),
                )
        return added

    def add_backfill(
        self, tenant_uuid: str, tenant_slug: str, start: datetime, end: datetime
    ) -> Backfill:
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO mirror_backfills (tenant_uuid, tenant_slug, from_utc, until_utc, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (
                    tenant_uuid,
                    tenant_slug,
                    start.astimezone(UTC).isoformat(),
                    end.astimezone(UTC).isoformat(),
                    _now(),
                ),
            )
            row = conn.execute(
                "SELECT * FROM mirror_backfills WHERE id=?", (cursor.lastrowid,)
            ).fetchone()
        return Backfill(**dict(row))

    def backfills(
        self, tenant_uuid: str | None = None, *, open_only: bool = False
    ) -> list[Backfill]:
        sql = "SELECT * FROM mirror_backfills WHERE 1=1"
        args: tuple = ()
        if tenant_uuid is not None:
            sql += " AND tenant_uuid=?"
            args = (tenant_uuid,)
        if open_only:
            sql += " AND done_at IS NULL"
        with self._lock:
            self.flush()
            return [Backfill(**dict(r)) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def advance_backfill(
        self, backfill: Backfill, found: list[Found], next_cdr_id: int, *, done: bool
    ) -> int:
        with self._lock:
            added = self.queue(backfill.tenant_uuid, backfill.tenant_slug, found)
            with self._transaction() as conn:
                conn.execute(
                    "UPDATE mirror_backfills SET next_cdr_id=?, done_at=? WHERE id=?",
                    (next_cdr_id, _now() if done else None, backfill.id),
                )
        return added

    # -- recordings ------------------------------------------------------------------------

    def get(self, tenant_uuid: str, recording_uuid: str) -> Recording | None:
        rows = self._rows(
            "SELECT * FROM mirror_recordings WHERE tenant_uuid=? AND recording_uuid=?",
            (tenant_uuid, recording_uuid),
        )
        return rows[0] if rows else None

    def recordings(
        self, tenant_uuid: str | None = None, status: str | None = None
    ) -> list[Recording]:
        sql = "SELECT * FROM mirror_recordings WHERE 1=1"
        args: list[Any] = []
        if tenant_uuid is not None:
            sql += " AND tenant_uuid=?"
            args.append(tenant_uuid)
        if status is not None:
            sql += " AND status=?"
            args.append(status)
        return self._rows(sql + " ORDER BY tenant_slug, cdr_id, recording_uuid", tuple(args))

    def due(self, tenant_uuid: str, now: datetime, max_attempts: int) -> list[Recording]:
        """What this run should work on: pending and downloaded rows, and failed ones whose
        next attempt is due and that are not given up; oldest CDR first."""
        return self._rows(
            "SELECT * FROM mirror_recordings WHERE tenant_uuid=? AND (status IN "
            "('pending', 'downloaded') OR (status='failed' AND attempts<? AND "
            "(next_attempt_at IS NULL OR next_attempt_at<=?))) ORDER BY cdr_id, recording_uuid",
            (tenant_uuid, max_attempts, now.astimezone(UTC).isoformat(timespec="seconds")),
        )

    def deletable(self, tenant_uuid: str) -> list[Recording]:
        return self._rows(
            "SELECT * FROM mirror_recordings WHERE tenant_uuid=? AND status='delivered' "
            "ORDER BY cdr_id, recording_uuid",
            (tenant_uuid,),
        )

    def of_cdrs(self, tenant_uuid: str, cdr_ids: list[int]) -> list[Recording]:
        marks = ", ".join("?" for _ in cdr_ids)
        return self._rows(
            f"SELECT * FROM mirror_recordings WHERE tenant_uuid=? AND cdr_id IN ({marks})",
            (tenant_uuid, *cdr_ids),
        )

    def _update(self, rec: Recording, **columns: Any) -> None:
        columns["updated_at"] = _now()
        with self._lock:
            self._pending.append((rec.tenant_uuid, rec.recording_uuid, columns))
            due = time.monotonic() - self._committed_at >= BATCH_SECONDS
            if len(self._pending) >= BATCH_SIZE or due:
                self.flush()
        for name, value in columns.items():
            if name == "delivered_to":
                value = json.loads(value)
            setattr(rec, name, value)

    def mark_downloaded(self, rec: Recording, spool: Path, size: int, sha256: str) -> None:
        """The media is fsynced in the spool: its size and sha256 are the reference now."""
        self._update(rec, status="downloaded", spool_path=str(spool), size=size, sha256=sha256)

    def mark_sealed(self, rec: Recording, sha256: str) -> None:
        """The encrypted copy made for the destinations (kept until all of them hold it)."""
        self._update(rec, sealed_sha256=sha256)

    def mark_destination(self, rec: Recording, url: str, location: str) -> None:
        done = dict(rec.delivered_to, **{url: location})
        self._update(rec, delivered_to=json.dumps(done, sort_keys=True))

    def mark_delivered(self, rec: Recording, url: str | None = None, location: str = "") -> None:
        """Delivered everywhere (the last destination, if given, recorded in the same
        transaction); the spool copy is no longer needed."""
        done = dict(rec.delivered_to, **({url: location} if url else {}))
        self._update(
            rec,
            delivered_to=json.dumps(done, sort_keys=True),
            status="delivered",
            spool_path=None,
            last_error=None,
            next_attempt_at=None,
            delivered_at=_now(),
        )

    def mark_failed(self, rec: Recording, error: str, next_attempt: datetime | None) -> None:
        self._update(
            rec,
            status="failed",
            attempts=rec.attempts + 1,
            last_error=error,
            next_attempt_at=next_attempt.astimezone(UTC).isoformat(timespec="seconds")
            if next_attempt
            else None,
        )

    def mark_gone(self, rec: Recording, reason: str) -> None:
        self._update(rec, status="gone", spool_path=None, last_error=reason)

    def mark_deleted(self, recs: list[Recording]) -> None:
        now = _now()
        with self._transaction() as conn:
            for rec in recs:
                conn.execute(
                    "UPDATE mirror_recordings SET status='deleted', deleted_at=?, updated_at=? "
                    "WHERE tenant_uuid=? AND recording_uuid=?",
                    (now, now, rec.tenant_uuid, rec.recording_uuid),
                )
                rec.status = "deleted"
                rec.deleted_at = now

    def retry(self, tenant_uuid: str | None = None) -> int:
        """Give the given-up recordings a new set of attempts (`mirror retry`)."""
        sql = "UPDATE mirror_recordings SET attempts=0, next_attempt_at=NULL WHERE status='failed'"
        args: tuple = ()
        if tenant_uuid is not None:
            sql += " AND tenant_uuid=?"
            args = (tenant_uuid,)
        with self._transaction() as conn:
            return conn.execute(sql, args).rowcount

    # -- status ----------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        """tenant uuid -> status -> count."""
        with self._lock:
            self.flush()
            rows = self.conn.execute(
                "SELECT tenant_uuid, status, COUNT(*) FROM mirror_recordings "
                "GROUP BY tenant_uuid, status"
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for tenant, status, n in rows:
            counts.setdefault(tenant, {})[status] = n
        return counts

    def delivered_since(self, since: datetime) -> list[Recording]:
        """Recordings delivered (or deleted after delivery) since `since`."""
        stamp = since.astimezone(UTC).isoformat(timespec="seconds")
        return self._rows(
            "SELECT * FROM mirror_recordings WHERE status IN ('delivered', 'deleted') AND "
            "delivered_at>=? ORDER BY tenant_slug, cdr_id, recording_uuid",
            (stamp,),
        )

    def newest_delivered(self, tenant_uuid: str) -> Recording | None:
        rows = self._rows(
            "SELECT * FROM mirror_recordings WHERE tenant_uuid=? AND status IN "
            "('delivered', 'deleted') ORDER BY COALESCE(end_time, start_time) DESC LIMIT 1",
            (tenant_uuid,),
        )
        return rows[0] if rows else None

    def tenants(self) -> dict[str, str]:
        """Every tenant the journal knows: uuid -> slug."""
        with self._lock:
            self.flush()
            rows = self.conn.execute(
                "SELECT tenant_uuid, tenant_slug FROM mirror_cursors UNION "
                "SELECT tenant_uuid, tenant_slug FROM mirror_recordings UNION "
                "SELECT tenant_uuid, tenant_slug FROM mirror_backfills"
            ).fetchall()
        return {r[0]: r[1] for r in rows}


def _recording(row: sqlite3.Row) -> Recording:
    data = dict(row)
    data["cdr"] = json.loads(data["cdr"])
    data["delivered_to"] = json.loads(data["delivered_to"] or "{}")
    return Recording(**data)
