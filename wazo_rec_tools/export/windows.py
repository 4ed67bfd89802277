"""Export windows: which [from, until) periods are due, in the export's time zone.

Pure: no clock, no files. A window starts and ends at a local midnight (Monday for weekly windows),
so a week holding a DST change lasts 167 or 169 hours; call-logd gets the bounds with their explicit
UTC offset (docs/wazo-api.md, call-logd §2: a naive bound would be read in the DB's zone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from ..moments import MomentError, check_order, first_instant, in_zone

Schedule = Literal["weekly", "daily"]
Kind = Literal["weekly", "daily", "adhoc"]


@dataclass(frozen=True)
class Window:
    """A period [start, end) of CDR start times; both bounds aware, in the export's zone."""

    start: datetime
    end: datetime
    kind: Kind = "adhoc"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.end_utc <= self.start_utc:
            raise ValueError(f"window ends before it starts: {self.start} >= {self.end}")

    @property
    def key(self) -> tuple[str, str]:
        """The window's identity: its bounds as UTC instants (zone and kind do not matter)."""
        return utc_text(self.start), utc_text(self.end)

    # Arithmetic and comparisons go through UTC: between two datetimes sharing one tzinfo,
    # Python compares wall-clock times and would make every week 168 hours long.
    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    @property
    def hours(self) -> float:
        return (self.end_utc - self.start_utc).total_seconds() / 3600

    @property
    def label(self) -> str:
        """`2026-03-23_2026-03-30`: local dates (times too for a bound off midnight: a one-off
        window, or the first one after a change of zone or schedule)."""
        return f"{_bound_label(self.start)}_{_bound_label(self.end)}"

    def __str__(self) -> str:
        return f"{self.start.isoformat()} .. {self.end.isoformat()}"


def utc_text(moment: datetime) -> str:
    """A canonical UTC spelling of an instant, for keys and storage."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bound_label(moment: datetime) -> str:
    if moment.timetz().replace(tzinfo=None) == time(0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H%M%S")


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone` (see `moments.first_instant`)."""
    return first_instant(day, zone)


def _period_start(day: date, schedule: Schedule) -> date:
    return day - timedelta(days=day.weekday()) if schedule == "weekly" else day


def _step(schedule: Schedule) -> timedelta:
    return timedelta(days=7 if schedule == "weekly" else 1)


def window_at(day: date, schedule: Schedule, zone: tzinfo) -> Window:
    """The scheduled window holding the local date `day`."""
    first = _period_start(day, schedule)
    return Window(
        local_midnight(first, zone),
        local_midnight(first + _step(schedule), zone),
        kind=schedule,
    )


def last_complete(now: datetime, schedule: Schedule, zone: tzinfo) -> Window:
    """The latest window that has ended by `now` (the one before the window holding `now`)."""
    return previous(window_at(now.astimezone(zone).date(), schedule, zone), zone)


def previous(window: Window, zone: tzinfo) -> Window:
    day = window.start.astimezone(zone).date()
    assert window.kind != "adhoc", "only scheduled windows have a previous one"
    return window_at(day - _step(window.kind), window.kind, zone)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DueWindows:
    """The scheduled windows to export, oldest first."""

    windows: list[Window]


def next_boundary(moment: datetime, schedule: Schedule, zone: tzinfo) -> datetime:
    """The first scheduled window bound strictly after `moment`."""
    return window_at(moment.astimezone(zone).date(), schedule, zone).end


def windows_between(
    start: datetime, end: datetime, schedule: Schedule, zone: tzinfo
) -> list[Window]:
    """Consecutive scheduled windows tiling [start, end) exactly: the first starts at `start`
    and the last ends at `end`, even off a bound of the schedule (a change of zone or schedule,
    a skip), so that no moment falls between two windows."""
    windows = []
    cursor = start.astimezone(zone)
    end_utc = end.astimezone(UTC)
    while cursor.astimezone(UTC) < end_utc:
        upper = next_boundary(cursor, schedule, zone)
        if upper.astimezone(UTC) > end_utc:
            upper = end.astimezone(zone)
        windows.append(Window(cursor, upper, kind=schedule))
        cursor = upper
    return windows


def due_windows(
    now: datetime,
    schedule: Schedule,
    zone: tzinfo,
    catch_up: int,
    covered: Iterable[tuple[datetime, datetime]] = (),
    given_up_until: datetime | None = None,
) -> DueWindows:
    """The windows due at `now` for one tenant.

    `covered` is the journal's scheduled windows, whatever their status (a window not done is
    retried by its own row), and `given_up_until` the latest `export skip`. With neither, this
    is the first run: the latest `catch_up` complete windows. After that every moment from the
    start of the journal to the last complete bound is due unless covered: the holes between
    rows and the time since the last one.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if catch_up < 1:
        raise ValueError("catch_up must be at least 1")
    intervals = sorted((s.astimezone(UTC), e.astimezone(UTC)) for s, e in covered)
    horizon = last_complete(now, schedule, zone).end.astimezone(UTC)
    if not intervals and given_up_until is None:
        window = last_complete(now, schedule, zone)
        picked = [window]
        for _ in range(catch_up - 1):
            window = previous(window, zone)
            picked.append(window)
        picked.reverse()
        return DueWindows(picked)
    # the journal starts at its first window; a skip covers everything before its end (one
    # before the first window changes nothing, one on an empty journal is where it starts)
    origin = min((s for s, _ in intervals), default=None)
    if given_up_until is not None:
        until = given_up_until.astimezone(UTC)
        origin = until if origin is None else origin
        if until > origin:
            intervals.append((origin, until))
            intervals.sort()
    assert origin is not None
    cursor = origin
    gaps: list[tuple[datetime, datetime]] = []
    for start, end in intervals:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < horizon:
        gaps.append((cursor, horizon))
    due: list[Window] = []
    for start, end in gaps:
        due.extend(windows_between(start, end, schedule, zone))
    return DueWindows(due)


def adhoc_window(
    start: datetime | date, end: datetime | date, now: datetime, zone: tzinfo
) -> Window:
    """A one-off window from two moments (`moments.parse_moment`), read in `zone`.

    A window that has not ended yet is refused: its archive would miss later calls and the
    journal would call it done.
    """
    start = in_zone(start, zone)
    end = in_zone(end, zone)
    check_order(start, end)
    if end.astimezone(UTC) > now.astimezone(UTC):
        raise MomentError(
            f"the window {start.isoformat()} .. {end.isoformat()} has not ended yet; "
            "only complete windows are exported"
        )
    return Window(start.astimezone(zone), end.astimezone(zone), kind="adhoc")
