"""Time windows for CDR queries: parsing `--from/--until`, the local zone, splitting long spans."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import UserError

_ZONEINFO_ROOTS = ("/usr/share/zoneinfo/", "/usr/lib/zoneinfo/")


def local_timezone() -> tzinfo:
    """The system's zone: `TZ`, else /etc/localtime, else the current fixed offset."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    for root in _ZONEINFO_ROOTS:
        if target.startswith(root):
            try:
                return ZoneInfo(target[len(root) :])
            except (ZoneInfoNotFoundError, ValueError):
                break
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def parse_moment(text: str, zone: tzinfo, *, option: str) -> datetime:
    """An aware datetime from ISO text; a date alone is midnight; no offset means `zone`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{option}: {text!r} is not an ISO date or date-time "
            "(e.g. 2024-05-01 or 2024-05-01T08:00:00+02:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def check_window(start: datetime, end: datetime) -> None:
    if start >= end:
        raise UserError(
            f"--from {start.isoformat()} must be before --until {end.isoformat()} "
            "(from is inclusive, until exclusive)"
        )


def split_window(
    start: datetime, end: datetime, span: timedelta
) -> list[tuple[datetime, datetime]]:
    """Consecutive `[from, until)` pieces of at most `span`, covering the window exactly."""
    if span <= timedelta(0):
        raise ValueError("span must be positive")
    pieces = []
    cursor = start
    while cursor < end:
        upper = min(cursor + span, end)
        pieces.append((cursor, upper))
        cursor = upper
    return pieces
