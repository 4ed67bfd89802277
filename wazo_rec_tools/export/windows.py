"""Export windows: which [from, until) periods are due, in the export's time zone.

Pure: no clock, no files. A window starts and ends at a local midnight (Monday for weekly
windows), so a week holding a DST change lasts 167 or 169 hours; call-logd gets the bounds with
their explicit UTC offset (call-logd.md §2: a naive bound would be read in the DB's zone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

Schedule = Literal["weekly", "daily"]
Kind = Literal["weekly", "daily", "adhoc"]

_SKIPPED_COUNT_LIMIT = 100_000  # windows counted when reporting a gap older than catch_up


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
        """`2026-03-23_2026-03-30`: local dates (times too for a one-off bound off midnight)."""
        if self.kind != "adhoc":
            return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"
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
    """The first instant of `day` in `zone`.

    Where midnight falls in a DST gap, fold=0 picks the offset in force before the change,
    which lands on the instant the day really starts (PEP 495).
    """
    naive = datetime.combine(day, time(0))
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


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
    """The windows to export, oldest first, and what catch_up left out."""

    windows: list[Window]
    skipped: int = 0  # complete windows after the last done one but older than catch_up
    first_skipped: Window | None = None


def due_windows(
    now: datetime,
    schedule: Schedule,
    zone: tzinfo,
    catch_up: int,
    done_until: datetime | None,
    done: Iterable[tuple[str, str]] = (),
) -> DueWindows:
    """The complete windows since `done_until` (the end of the last window done) among the
    latest `catch_up` ones; windows whose key is in `done` are left out."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if catch_up < 1:
        raise ValueError("catch_up must be at least 1")
    done_keys = set(done)
    window = last_complete(now, schedule, zone)
    picked: list[Window] = []
    for _ in range(catch_up):
        if done_until is not None and window.start_utc < done_until.astimezone(UTC):
            break
        if window.key not in done_keys:
            picked.append(window)
        window = previous(window, zone)
    skipped = 0
    first_skipped = None
    if done_until is not None:
        while window.start_utc >= done_until.astimezone(UTC) and skipped < _SKIPPED_COUNT_LIMIT:
            if window.key not in done_keys:
                skipped += 1
                first_skipped = window
            window = previous(window, zone)
    picked.reverse()
    return DueWindows(picked, skipped, first_skipped)


def adhoc_window(start: datetime, end: datetime, now: datetime, zone: tzinfo) -> Window:
    """A one-off window from --from/--until; naive bounds are read in `zone`.

    A window that has not ended yet is refused: its archive would miss later calls and the
    journal would call it done.
    """
    start = _aware(start, zone)
    end = _aware(end, zone)
    if end.astimezone(UTC) <= start.astimezone(UTC):
        raise ValueError(f"--until ({end.isoformat()}) must be after --from ({start.isoformat()})")
    if end.astimezone(UTC) > now.astimezone(UTC):
        raise ValueError(
            f"the window {start.isoformat()} .. {end.isoformat()} has not ended yet; "
            "only complete windows are exported"
        )
    return Window(start.astimezone(zone), end.astimezone(zone), kind="adhoc")


def _aware(moment: datetime, zone: tzinfo) -> datetime:
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def parse_bound(text: str) -> datetime:
    """An ISO date or date-time from the command line (a bare date means its midnight)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0))
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not an ISO date or date-time: {text!r} (e.g. 2026-03-23 or 2026-03-23T00:00+01:00)"
        ) from None
