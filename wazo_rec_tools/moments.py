"""Moments and windows typed by a person: one parser for `--from/--until` everywhere.

Pure: no clock, no option names (the command line adds those). A date alone means the first
instant of that day; a date-time without an offset is read in the zone given, and a wall-clock
time that zone skips (a DST gap) is refused rather than silently moved; one it repeats (the
autumn fold) is its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

EXAMPLES = "e.g. 2026-03-23 or 2026-03-23T08:00:00+01:00"


class MomentError(ValueError):
    """Text that is not a moment, or a window that makes no sense."""


def parse_moment(text: str) -> datetime | date:
    """A date, or a date-time (naive or with its offset), from ISO text."""
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise MomentError(f"{text!r} is not an ISO date or date-time ({EXAMPLES})") from None


def first_instant(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone` (where midnight is skipped, the instant the day
    really starts: fold=0 takes the offset before the change, PEP 495)."""
    naive = datetime.combine(day, time(0))
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def in_zone(moment: datetime | date, zone: tzinfo) -> datetime:
    """An aware instant: a date is its first instant, a naive time is read in `zone`."""
    if not isinstance(moment, datetime):
        return first_instant(moment, zone)
    if moment.tzinfo is not None:
        return moment
    aware = moment.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise MomentError(
            f"{moment.isoformat()} does not exist in {zone} (the clocks skip it at a DST "
            "change): give an explicit offset"
        )
    return aware


def check_order(start: datetime, end: datetime) -> None:
    """`from` inclusive, `until` exclusive: the end must come after the start."""
    if end.astimezone(UTC) <= start.astimezone(UTC):
        raise MomentError(
            f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()}); "
            "from is inclusive, until exclusive"
        )
