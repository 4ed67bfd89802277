"""The export journal: one SQLite row per tenant and window, and the run lock.

Every state change is one committed transaction (WAL, synchronous=FULL), and files are fsynced
before the row that points at them is written, so a process killed at any moment leaves a
journal that tells the truth: at worst a step is done again, never skipped.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..jobs.lock import JobLock
from ..jobs.lock import RunLocked as RunLocked
from ..jobs.state import DB_NAME, StateError, open_state
from .windows import Window

Status = Literal[
    "planned", "launched", "ready", "downloaded", "delivered", "empty", "failed", "skipped"
]
STATUSES: tuple[Status, ...] = (
    "planned",
    "launched",
    "ready",
    "downloaded",
    "delivered",
    "empty",
    "failed",
    "skipped",
)
DONE: frozenset[str] = frozenset({"delivered", "empty"})
# Not to be worked on again: done, or given up by `export skip`.
SETTLED: frozenset[str] = DONE | {"skipped"}
_SETTLED_SQL = "('delivered', 'empty', 'skipped')"

# Which status may follow which; None is "no row yet". `planned` is the intent, journaled
# before the POST: a launch refused or dropped leaves it, and the next run launches again.
_NEXT: dict[str | None, frozenset[str]] = {
    None: frozenset({"planned"}),
    "planned": frozenset({"planned", "launched", "empty", "failed", "skipped"}),
    "launched": frozenset({"launched", "ready", "failed", "skipped"}),
    "ready": frozenset({"downloaded", "failed", "skipped"}),
    # downloaded -> downloaded: a spooled archive that no longer matches is downloaded again
    "downloaded": frozenset({"downloaded", "delivered", "failed", "skipped"}),
    "failed": frozenset({"planned", "failed", "downloaded", "delivered", "skipped"}),
    "delivered": frozenset(),
    "empty": frozenset(),
    "skipped": frozenset(),
}

LOCK_JOB = "export"


class JournalError(StateError):
    """The journal cannot be used, or a state change that makes no sense was asked for."""


@dataclass
class Entry:
    """One journal row."""

    tenant_uuid: str
    tenant_slug: str
    window_from: str
    window_until: str
    kind: str
    status: Status
    export_uuid: str | None = None
    attempts: int = 0
    archive_path: str | None = None
    manifest_path: str | None = None
    locations: list[str] = field(default_factory=list)
    size: int | None = None
    sha256: str | None = None
    recordings: int | None = None
    last_error: str | None = None
    created_at: str = ""
    updated_at: str = ""
    launched_at: str | None = None
    delivered_at: str | None = None

    @property
    def window(self) -> Window:
        return Window(
            datetime.fromisoformat(self.window_from),
            datetime.fromisoformat(self.window_until),
            kind=self.kind,  # type: ignore[arg-type]
        )

    @property
    def done(self) -> bool:
        return self.status in DONE

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    def as_dict(self) -> dict:
        return {
            "tenant_uuid": self.tenant_uuid,
            "tenant_slug": self.tenant_slug,
            "from": self.window_from,
            "until": self.window_until,
            "kind": self.kind,
            "status": self.status,
            "export_uuid": self.export_uuid,
            "attempts": self.attempts,
            "archive": self.archive_path,
            "manifest": self.manifest_path,
            "locations": list(self.locations),
            "size": self.size,
            "sha256": self.sha256,
            "recordings": self.recordings,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "launched_at": self.launched_at,
            "delivered_at": self.delivered_at,
        }


@dataclass(frozen=True)
class Skip:
    """Time an admin gave up with `export skip`: everything of the tenant before `until`."""

    tenant_uuid: str
    tenant_slug: str
    until: str
    reason: str
    windows: int  # rows not done that it marked skipped
    created_at: str

    def as_dict(self) -> dict:
        return {
            "tenant_uuid": self.tenant_uuid,
            "tenant_slug": self.tenant_slug,
            "until": self.until,
            "reason": self.reason,
            "windows": self.windows,
            "created_at": self.created_at,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Journal:
    """The SQLite journal in the state directory."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, state_dir: Path, *, create: bool = True) -> Journal:
        path = Path(state_dir) / DB_NAME
        if not create and not path.exists():
            raise JournalError(f"no export journal at {path} (no export has run yet)")
        return cls(open_state(Path(state_dir), create=create), path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE: the read that checks a transition and the write are one unit
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------

    def get(self, tenant_uuid: str, window: Window) -> Entry | None:
        return self._get(self.conn, tenant_uuid, window)

    def _get(self, conn: sqlite3.Connection, tenant_uuid: str, window: Window) -> Entry | None:
        from_utc, until_utc = window.key
        row = conn.execute(
            "SELECT * FROM windows WHERE tenant_uuid=? AND from_utc=? AND until_utc=?",
            (tenant_uuid, from_utc, until_utc),
        ).fetchone()
        return _entry(row) if row is not None else None

    def entries(self, tenant_uuid: str | None = None) -> list[Entry]:
        sql = "SELECT * FROM windows"
        args: tuple = ()
        if tenant_uuid is not None:
            sql += " WHERE tenant_uuid=?"
            args = (tenant_uuid,)
        sql += " ORDER BY tenant_slug, from_utc, until_utc"
        return [_entry(row) for row in self.conn.execute(sql, args)]

    def covered(self, tenant_uuid: str) -> list[tuple[datetime, datetime]]:
        """The scheduled windows the journal holds for the tenant, whatever their status: each
        is either done or retried through its row (one-off windows do not move the schedule)."""
        rows = self.conn.execute(
            "SELECT from_utc, until_utc FROM windows WHERE tenant_uuid=? AND kind != 'adhoc'",
            (tenant_uuid,),
        )
        return [(_utc(r[0]), _utc(r[1])) for r in rows]

    def given_up_until(self, tenant_uuid: str) -> datetime | None:
        """The end of the latest `export skip` of the tenant."""
        row = self.conn.execute(
            "SELECT MAX(until_utc) FROM skips WHERE tenant_uuid=?", (tenant_uuid,)
        ).fetchone()
        return _utc(row[0]) if row[0] is not None else None

    def done_keys(self, tenant_uuid: str) -> set[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT from_utc, until_utc FROM windows WHERE tenant_uuid=? "
            "AND status IN ('delivered', 'empty')",
            (tenant_uuid,),
        )
        return {(r[0], r[1]) for r in rows}

    def unfinished(self, tenant_uuid: str) -> list[Entry]:
        """Rows still to work on, oldest first: planned, launched, ready, downloaded, failed."""
        rows = self.conn.execute(
            f"SELECT * FROM windows WHERE tenant_uuid=? AND status NOT IN {_SETTLED_SQL} "
            "ORDER BY from_utc, until_utc",
            (tenant_uuid,),
        )
        return [_entry(row) for row in rows]

    def tenants(self) -> list[tuple[str, str]]:
        """(uuid, slug) of every tenant the journal knows, by slug."""
        rows = self.conn.execute(
            "SELECT tenant_uuid, MAX(tenant_slug) FROM ("
            "SELECT tenant_uuid, tenant_slug FROM windows UNION "
            "SELECT tenant_uuid, tenant_slug FROM skips) GROUP BY tenant_uuid ORDER BY 2"
        )
        return [(r[0], r[1]) for r in rows]

    def skips(self, tenant_uuid: str | None = None) -> list[Skip]:
        sql = "SELECT * FROM skips"
        args: tuple = ()
        if tenant_uuid is not None:
            sql += " WHERE tenant_uuid=?"
            args = (tenant_uuid,)
        rows = self.conn.execute(sql + " ORDER BY tenant_slug, until_utc", args)
        return [
            Skip(
                r["tenant_uuid"],
                r["tenant_slug"],
                r["until_text"],
                r["reason"],
                r["windows"],
                r["created_at"],
            )
            for r in rows
        ]

    # -- state changes -------------------------------------------------------------------

    def mark_planned(self, tenant_uuid: str, tenant_slug: str, windows: list[Window]) -> None:
        """Journal the intent to launch these windows, in one transaction, before any POST: a
        launch refused or dropped leaves a row that the next run launches again."""
        now = _now()
        with self._transaction() as conn:
            for window in windows:
                current = self._get(conn, tenant_uuid, window)
                if current is not None and current.status == "planned":
                    continue
                self._write(conn, current, tenant_uuid, tenant_slug, window, "planned", now, {})

    def skip(self, tenant_uuid: str, tenant_slug: str, until: datetime, reason: str) -> list[Entry]:
        """Give up the tenant's time before `until`: journaled with its reason; the rows not
        done that end by then are marked skipped. Returns those rows."""
        now = _now()
        until_utc = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._transaction() as conn:
            rows = conn.execute(
                f"SELECT * FROM windows WHERE tenant_uuid=? AND status NOT IN {_SETTLED_SQL} "
                "AND until_utc <= ? ORDER BY from_utc",
                (tenant_uuid, until_utc),
            ).fetchall()
            given_up = [_entry(row) for row in rows]
            for entry in given_up:
                self._write(
                    conn,
                    entry,
                    tenant_uuid,
                    None,
                    entry.window,
                    "skipped",
                    now,
                    {"last_error": f"given up: {reason}"},
                )
            conn.execute(
                "INSERT OR REPLACE INTO skips (tenant_uuid, until_utc, tenant_slug, until_text, "
                "reason, windows, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant_uuid,
                    until_utc,
                    tenant_slug,
                    until.isoformat(),
                    reason,
                    len(given_up),
                    now,
                ),
            )
        return given_up

    def mark_launched(
        self, tenant_uuid: str, tenant_slug: str, window: Window, export_uuid: str
    ) -> Entry:
        """The export was accepted by call-logd: record its uuid before anything else."""
        return self._change(
            tenant_uuid,
            tenant_slug,
            window,
            "launched",
            export_uuid=export_uuid,
            launched_at=_now(),
            last_error=None,
            _attempt=True,
        )

    def mark_empty(self, tenant_uuid: str, tenant_slug: str, window: Window) -> Entry:
        return self._change(
            tenant_uuid, tenant_slug, window, "empty", recordings=0, last_error=None
        )

    def mark_ready(self, tenant_uuid: str, window: Window) -> Entry:
        return self._change(tenant_uuid, None, window, "ready")

    def mark_downloaded(
        self,
        tenant_uuid: str,
        window: Window,
        *,
        archive_path: Path,
        manifest_path: Path,
        size: int,
        sha256: str,
        recordings: int,
    ) -> Entry:
        """The archive and manifest are checked and fsynced in the spool."""
        return self._change(
            tenant_uuid,
            None,
            window,
            "downloaded",
            archive_path=str(archive_path),
            manifest_path=str(manifest_path),
            size=size,
            sha256=sha256,
            recordings=recordings,
        )

    def mark_delivered(self, tenant_uuid: str, window: Window, locations: list[str]) -> Entry:
        """Delivered everywhere; the spool copies are no longer needed (removed next)."""
        return self._change(
            tenant_uuid,
            None,
            window,
            "delivered",
            locations=json.dumps(locations),
            archive_path=None,
            manifest_path=None,
            delivered_at=_now(),
            last_error=None,
        )

    def mark_failed(
        self,
        tenant_uuid: str,
        tenant_slug: str | None,
        window: Window,
        error: str,
        *,
        forget_spool: bool = False,
    ) -> Entry:
        """`forget_spool`: the spooled archive cannot be had again from its export either."""
        spool = {"archive_path": None, "manifest_path": None} if forget_spool else {}
        return self._change(tenant_uuid, tenant_slug, window, "failed", last_error=error, **spool)

    def note_error(self, tenant_uuid: str, window: Window, error: str) -> None:
        """A transient problem (stack unreachable...): the status stays, the next run resumes."""
        from_utc, until_utc = window.key
        with self._transaction() as conn:
            conn.execute(
                "UPDATE windows SET last_error=?, updated_at=? "
                "WHERE tenant_uuid=? AND from_utc=? AND until_utc=?",
                (error, _now(), tenant_uuid, from_utc, until_utc),
            )

    def _change(
        self,
        tenant_uuid: str,
        tenant_slug: str | None,
        window: Window,
        status: Status,
        *,
        _attempt: bool = False,
        **columns: object,
    ) -> Entry:
        now = _now()
        with self._transaction() as conn:
            current = self._get(conn, tenant_uuid, window)
            values = dict(columns)
            if _attempt:
                values["attempts"] = (current.attempts if current else 0) + 1
            self._write(conn, current, tenant_uuid, tenant_slug, window, status, now, values)
            entry = self._get(conn, tenant_uuid, window)
        assert entry is not None
        return entry

    def _write(
        self,
        conn: sqlite3.Connection,
        current: Entry | None,
        tenant_uuid: str,
        tenant_slug: str | None,
        window: Window,
        status: Status,
        now: str,
        columns: dict[str, object],
    ) -> None:
        before = current.status if current is not None else None
        if status not in _NEXT[before]:
            raise JournalError(
                f"journal: {tenant_slug or tenant_uuid} {window}: "
                f"cannot go from {before or 'nothing'} to {status}"
            )
        values = dict(columns, status=status, updated_at=now)
        if tenant_slug is not None:
            values["tenant_slug"] = tenant_slug
        from_utc, until_utc = window.key
        if current is None:
            values.update(
                tenant_uuid=tenant_uuid,
                from_utc=from_utc,
                until_utc=until_utc,
                tenant_slug=tenant_slug or tenant_uuid,
                window_from=window.start.isoformat(),
                window_until=window.end.isoformat(),
                kind=window.kind,
                created_at=now,
            )
            names = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            conn.execute(f"INSERT INTO windows ({names}) VALUES ({marks})", tuple(values.values()))
        else:
            sets = ", ".join(f"{name}=?" for name in values)
            conn.execute(
                f"UPDATE windows SET {sets} WHERE tenant_uuid=? AND from_utc=? AND until_utc=?",
                (*values.values(), tenant_uuid, from_utc, until_utc),
            )


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _entry(row: sqlite3.Row) -> Entry:
    data = dict(row)
    data.pop("from_utc")
    data.pop("until_utc")
    data["locations"] = json.loads(data["locations"] or "[]")
    return Entry(**data)


class RunLock(JobLock):
    """The export's run lock (`export.lock` in the state directory)."""

    def __init__(self, state_dir: Path):
        super().__init__(state_dir, LOCK_JOB, "export run")
