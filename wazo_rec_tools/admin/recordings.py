"""Listing recordings: CDRs that have recordings, one row per recording (docs/wazo-api.md, call-logd
§7)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import PurePosixPath
from typing import Any

from ..errors import UserError
from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from .window import split_window

DIRECTIONS = ("internal", "inbound", "outbound")
DEFAULT_SPAN = timedelta(days=31)
DEFAULT_PAGE_SIZE = 1000


@dataclass(frozen=True)
class RecordingRow:
    cdr_id: int
    tenant_uuid: str | None
    start: datetime | None  # in the local zone
    direction: str | None
    source_name: str | None
    source_extension: str | None
    destination_name: str | None
    destination_extension: str | None
    duration: int | None  # seconds; None if never answered
    recording_uuid: str
    deleted: bool
    filename: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat() if self.start else None
        return data


@dataclass(frozen=True)
class RecordingQuery:
    """What to list: a window, and the optional filters of the commands."""

    start: datetime
    end: datetime
    tenant_uuid: str | None = None  # None: the token's tenant and its sub-tenants
    user_uuid: str | None = None
    direction: str | None = None
    span: timedelta = DEFAULT_SPAN
    page_size: int = DEFAULT_PAGE_SIZE


def rows_of_cdr(cdr: dict, zone: tzinfo) -> list[RecordingRow]:
    """One row per recording of a CDR, its start shown in `zone`."""
    start = parse_instant(cdr.get("start"))
    return [
        RecordingRow(
            cdr_id=int(cdr["id"]),
            tenant_uuid=cdr.get("tenant_uuid"),
            start=start.astimezone(zone) if start else None,
            direction=cdr.get("call_direction"),
            source_name=cdr.get("source_name") or None,
            source_extension=cdr.get("source_extension") or None,
            destination_name=cdr.get("destination_name") or None,
            destination_extension=cdr.get("destination_extension") or None,
            duration=cdr.get("duration"),
            recording_uuid=recording["uuid"],
            deleted=bool(recording.get("deleted")),
            filename=safe_filename(recording.get("filename"), int(cdr["id"]), recording["uuid"]),
        )
        for recording in cdr.get("recordings") or []
    ]


def safe_filename(filename: str | None, cdr_id: int, recording_uuid: str) -> str:
    """The server's file name, reduced to a plain name (never a path out of the directory)."""
    name = PurePosixPath(filename or "").name
    if not name or name in (".", "..") or "\\" in name:
        return f"{cdr_id}-{recording_uuid}.wav"
    return name


def list_recordings(wazo: Wazo, query: RecordingQuery, zone: tzinfo) -> Iterator[RecordingRow]:
    """Every recording of the window, in start order, one page of CDRs at a time."""
    for cdr in window_cdrs(wazo, query, recorded=True):
        yield from rows_of_cdr(cdr, zone)


def window_cdrs(wazo: Wazo, query: RecordingQuery, **extra: Any) -> Iterator[dict]:
    """Every CDR of the window (with `extra` /cdr filters), in start order, each once.

    Long windows are split into `query.span` pieces, each its own paged /cdr query.
    """
    seen: set[int] = set()
    filters: dict[str, Any] = dict(extra)
    if query.user_uuid:
        filters["user_uuid"] = query.user_uuid
    if query.direction:
        filters["call_direction"] = query.direction
    for piece_start, piece_end in split_window(query.start, query.end, query.span):
        cdrs = wazo.calllogd.cdrs(
            tenant=query.tenant_uuid,
            recurse=query.tenant_uuid is None,
            page_size=query.page_size,
            from_=piece_start,
            until=piece_end,
            **filters,
        )
        for cdr in cdrs:
            if cdr["id"] in seen:
                continue
            seen.add(cdr["id"])
            yield cdr


def recordings_of_cdr(
    wazo: Wazo, cdr_id: int, zone: tzinfo, *, tenant_uuid: str | None = None
) -> list[RecordingRow]:
    """The recordings of one CDR (GET /cdr/{id} looks across sub-tenants: docs/wazo-api.md,
    call-logd §7)."""
    cdr = wazo.calllogd.get_cdr(cdr_id, tenant=tenant_uuid)
    return rows_of_cdr(cdr, zone)


def pick_recordings(
    rows: list[RecordingRow], cdr_id: int, recording_uuid: str | None
) -> list[RecordingRow]:
    """The rows named on the command line: one recording, or every recording of the CDR."""
    if not rows:
        raise UserError(f"CDR {cdr_id} has no recording")
    if recording_uuid is None:
        return rows
    chosen = [row for row in rows if row.recording_uuid == recording_uuid]
    if not chosen:
        known = ", ".join(row.recording_uuid for row in rows)
        raise UserError(f"CDR {cdr_id} has no recording {recording_uuid} (it has: {known})")
    return chosen


def resolve_user(wazo: Wazo, ref: str, *, tenant_uuid: str | None = None) -> dict:
    """A confd user by uuid, username or e-mail, within the tenant (or every visible one)."""
    if _looks_like_uuid(ref):
        try:
            return wazo.confd.get_user(ref, tenant=tenant_uuid)
        except ApiError as exc:
            if exc.status != 404:
                raise
            raise UserError(f"user {ref} not found") from None
    for key in ("username", "email"):
        found = [
            user
            for user in wazo.confd.users(
                tenant=tenant_uuid, recurse=tenant_uuid is None, **{key: ref}
            )
            # docs/wazo-api.md, confd §1: exact-match filter; compared here again in case it was not
            # applied
            if (user.get(key) or "").lower() == ref.lower()
        ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            tenants = ", ".join(sorted({str(u.get("tenant_uuid")) for u in found}))
            raise UserError(
                f"user {ref!r} is ambiguous: {len(found)} users have that {key} "
                f"(tenants {tenants}); use --tenant or the user's uuid"
            )
    raise UserError(f"user {ref!r} not found by uuid, username or e-mail")


def _looks_like_uuid(text: str) -> bool:
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(
        c in "0123456789abcdefABCDEF" for c in text.replace("-", "")
    )


def parse_instant(value: Any) -> datetime | None:
    """A CDR date-time as an aware datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    # docs/wazo-api.md, call-logd §0: output carries an offset; a bare value is taken as UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
