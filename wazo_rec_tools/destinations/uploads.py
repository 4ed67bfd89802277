"""The journal of unfinished uploads (S3 multipart upload ids), so a killed run resumes them.

A row is written right after the store gives an upload id and before the first byte is sent,
and removed once the object is complete or the upload aborted: a row left behind always names
an upload that the next delivery of the same key resumes (same content) or aborts (other
content), never an orphan nobody knows of. No secret is ever kept here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

# The state database's migration for this table (appended to jobs/state.py MIGRATIONS).
UPLOADS_SQL = """
CREATE TABLE IF NOT EXISTS destination_uploads (
    destination TEXT NOT NULL,
    key         TEXT NOT NULL,
    upload_id   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    PRIMARY KEY (destination, key)
);
CREATE TABLE IF NOT EXISTS destination_objects (
    destination    TEXT NOT NULL,
    key            TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    plain_sha256   TEXT,
    size           INTEGER NOT NULL,
    location       TEXT NOT NULL,
    delivered_at   TEXT NOT NULL,
    PRIMARY KEY (destination, key)
)
"""


@dataclass(frozen=True)
class Upload:
    upload_id: str
    sha256: str


class UploadLog(Protocol):
    def find(self, destination: str, key: str) -> Upload | None: ...

    def start(self, destination: str, key: str, upload_id: str, sha256: str) -> None: ...

    def forget(self, destination: str, key: str) -> None: ...


class MemoryUploads:
    """Uploads remembered for this process only (`destinations check`, tests)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Upload] = {}

    def find(self, destination: str, key: str) -> Upload | None:
        return self._rows.get((destination, key))

    def start(self, destination: str, key: str, upload_id: str, sha256: str) -> None:
        self._rows[(destination, key)] = Upload(upload_id, sha256)

    def forget(self, destination: str, key: str) -> None:
        self._rows.pop((destination, key), None)


class StateUploads:
    """Uploads kept in the state database (`jobs.state.open_state`)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def find(self, destination: str, key: str) -> Upload | None:
        row = self.conn.execute(
            "SELECT upload_id, sha256 FROM destination_uploads WHERE destination=? AND key=?",
            (destination, key),
        ).fetchone()
        return Upload(row[0], row[1]) if row else None

    def start(self, destination: str, key: str, upload_id: str, sha256: str) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO destination_uploads VALUES (?, ?, ?, ?, ?)",
                (destination, key, upload_id, sha256, _now()),
            )

    def forget(self, destination: str, key: str) -> None:
        with self.conn:
            self.conn.execute(
                "DELETE FROM destination_uploads WHERE destination=? AND key=?",
                (destination, key),
            )

    def pending(self) -> list[tuple[str, str, Upload]]:
        rows = self.conn.execute(
            "SELECT destination, key, upload_id, sha256 FROM destination_uploads ORDER BY 1, 2"
        ).fetchall()
        return [(r[0], r[1], Upload(r[2], r[3])) for r in rows]

    def record_object(
        self,
        destination: str,
        key: str,
        *,
        sha256: str,
        plain_sha256: str | None,
        size: int,
        location: str,
    ) -> None:
        """What was delivered where: the stored bytes' sha256 and, if encrypted, the plain's."""
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO destination_objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                (destination, key, sha256, plain_sha256, size, location, _now()),
            )

    def objects(self) -> list[dict]:
        rows = self.conn.execute(
            "SELECT destination, key, sha256, plain_sha256, size, location, delivered_at "
            "FROM destination_objects ORDER BY delivered_at, destination, key"
        ).fetchall()
        names = ("destination", "key", "sha256", "plain_sha256", "size", "location")
        return [dict(zip((*names, "delivered_at"), tuple(r), strict=True)) for r in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
