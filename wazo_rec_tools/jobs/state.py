"""The state database: one SQLite file in the state directory, shared by every job.

Its schema has a version (`PRAGMA user_version`) and an ordered list of migrations; opening the
file brings it to the latest version in one transaction per step, so a tool upgraded in place
(a new package, a new venv) migrates the journal the first time it runs. A file written by a
newer tool is refused rather than misread.

Every connection runs in WAL mode with synchronous=FULL: a committed row survives a crash.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..destinations.uploads import UPLOADS_SQL
from ..errors import UserError

DB_NAME = "journal.sqlite3"
FILE_MODE = 0o640
DIR_MODE = 0o750


class StateError(UserError):
    """The state database or its folder cannot be used."""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: from `version - 1` to `version`."""

    version: int
    about: str
    apply: Callable[[sqlite3.Connection], None]


def _sql(script: str) -> Callable[[sqlite3.Connection], None]:
    statements = [s.strip() for s in script.split(";") if s.strip()]

    def run(conn: sqlite3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return run


_V1_EXPORT_WINDOWS = """
CREATE TABLE IF NOT EXISTS windows (
    tenant_uuid   TEXT NOT NULL,
    from_utc      TEXT NOT NULL,
    until_utc     TEXT NOT NULL,
    tenant_slug   TEXT NOT NULL,
    window_from   TEXT NOT NULL,
    window_until  TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    export_uuid   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    archive_path  TEXT,
    manifest_path TEXT,
    locations     TEXT NOT NULL DEFAULT '[]',
    size          INTEGER,
    sha256        TEXT,
    recordings    INTEGER,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    launched_at   TEXT,
    delivered_at  TEXT,
    PRIMARY KEY (tenant_uuid, from_utc, until_utc)
)
"""

# A window's intent is journaled before its POST (status `planned`), and time an admin gives up
# (`export skip`) is kept with its reason; statuses are plain TEXT, so only the table is new.
_EXPORT_SKIPS = """
CREATE TABLE IF NOT EXISTS skips (
    tenant_uuid   TEXT NOT NULL,
    until_utc     TEXT NOT NULL,
    tenant_slug   TEXT NOT NULL,
    until_text    TEXT NOT NULL,
    reason        TEXT NOT NULL,
    windows       INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_uuid, until_utc)
)
"""

# The notifications: events waiting for delivery (jobs/outbox.py), the figures behind the
# metrics textfile (jobs/metrics.py), which outlive a run since counters only grow, and the
# runs of each job (jobs/runs.py), so that a run killed before it told anyone is noticed.
_NOTIFY_OUTBOX_AND_METRICS = """
CREATE TABLE IF NOT EXISTS outbox (
    id              TEXT NOT NULL,
    hook            TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error      TEXT,
    delivered_at    TEXT,
    PRIMARY KEY (id, hook)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (hook, delivered_at, created_at);
CREATE TABLE IF NOT EXISTS metrics (
    name   TEXT NOT NULL,
    labels TEXT NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (name, labels)
);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    ok          INTEGER
)
"""

_MIRROR = """
CREATE TABLE mirror_recordings (
    tenant_uuid     TEXT NOT NULL,
    recording_uuid  TEXT NOT NULL,
    tenant_slug     TEXT NOT NULL,
    cdr_id          INTEGER NOT NULL,
    start_time      TEXT NOT NULL,
    end_time        TEXT,
    key             TEXT NOT NULL,
    cdr             TEXT NOT NULL,
    status          TEXT NOT NULL,
    spool_path      TEXT,
    size            INTEGER,
    sha256          TEXT,
    sealed_sha256   TEXT,
    delivered_to    TEXT NOT NULL DEFAULT '{}',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_at    TEXT,
    deleted_at      TEXT,
    PRIMARY KEY (tenant_uuid, recording_uuid)
);
CREATE INDEX mirror_recordings_status ON mirror_recordings (tenant_uuid, status);
CREATE TABLE mirror_cursors (
    tenant_uuid  TEXT PRIMARY KEY,
    tenant_slug  TEXT NOT NULL,
    next_cdr_id  INTEGER NOT NULL,
    since        TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE mirror_backfills (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_uuid  TEXT NOT NULL,
    tenant_slug  TEXT NOT NULL,
    from_utc     TEXT NOT NULL,
    until_utc    TEXT NOT NULL,
    next_cdr_id  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    done_at      TEXT
)
"""

# Append only: a released step is never edited, a new one takes the next version.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "export windows", _sql(_V1_EXPORT_WINDOWS)),
    Migration(2, "export skips", _sql(_EXPORT_SKIPS)),
    Migration(3, "notification outbox, metrics and runs", _sql(_NOTIFY_OUTBOX_AND_METRICS)),
    Migration(4, "destination uploads and delivered objects", _sql(UPLOADS_SQL)),
    Migration(5, "per-recording mirror journal", _sql(_MIRROR)),
)

LATEST = MIGRATIONS[-1].version


def make_state_dir(path: Path) -> None:
    """Create the state directory (0750) if needed, with an error that says what to do."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except PermissionError:
        from .folders import not_writable

        parent = next((p for p in path.parents if p.exists()), path.parent)
        raise not_writable(parent, f"export.state_dir {path}: its folder") from None
    except OSError as exc:
        raise StateError(
            f"cannot create export.state_dir {path}: {exc.strerror} "
            "(it must be writable by the user running the job)"
        ) from None


def open_state(state_dir: Path, *, create: bool = True, shared: bool = False) -> sqlite3.Connection:
    """The state database of `state_dir`, migrated to the latest schema.

    `create=False` opens an existing file only (read-mostly commands such as `export status`),
    and raises `StateError` when there is none; it still migrates an older file, since a
    reader of the old layout would misread it. `shared=True` lets several threads use the
    connection, which the caller then serialises with a lock of its own.
    """
    from .folders import check_writable

    state_dir = Path(state_dir)
    path = state_dir / DB_NAME
    if create:
        make_state_dir(state_dir)
    elif not path.exists():
        raise StateError(f"no state database at {path} (no job has run yet)")
    # a migration or a run writes: say who owns what rather than "readonly database"
    check_writable(state_dir, "the state directory")
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        check_writable(state_dir / name, "the state database")
    if not path.exists():
        # created with the right mode from the start: the journal names recordings and tenants
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
        except FileExistsError:
            pass
        except OSError as exc:
            raise StateError(f"cannot create the state database {path}: {exc.strerror}") from None
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=not shared)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        raise StateError(f"cannot open the state database {path}: {exc}") from None
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, path: Path | str = "state database") -> int:
    """Apply the pending migrations, each in its own transaction; return the final version."""
    current = schema_version(conn)
    if current > LATEST:
        raise StateError(
            f"{path} has schema version {current}, newer than this wazo-rec-tools knows "
            f"({LATEST}): upgrade wazo-rec-tools, or restore a journal it wrote"
        )
    for step in MIGRATIONS:
        if step.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # re-read under the write lock: another process may have migrated meanwhile
            if schema_version(conn) < step.version:
                step.apply(conn)
                conn.execute(f"PRAGMA user_version={step.version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return schema_version(conn)
