"""Time windows for CDR queries: parsing `--from/--until`, the local zone, splitting long spans."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from ..errors import UserError


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
