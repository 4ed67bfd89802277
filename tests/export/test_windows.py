from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wazo_rec_tools.export.windows import (
    Window,
    adhoc_window,
    due_windows,
    last_complete,
    local_midnight,
    window_at,
)
from wazo_rec_tools.moments import MomentError, parse_moment

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_weekly_window_runs_from_monday_midnight_to_next_monday_midnight():
    window = window_at(date(2026, 1, 14), "weekly", PARIS)

    assert window.start.isoformat() == "2026-01-12T00:00:00+01:00"
    assert window.end.isoformat() == "2026-01-19T00:00:00+01:00"
    assert window.hours == 168


def test_week_of_spring_dst_change_lasts_167_hours():
    window = window_at(date(2026, 3, 29), "weekly", PARIS)

    assert window.start.isoformat() == "2026-03-23T00:00:00+01:00"
    assert window.end.isoformat() == "2026-03-30T00:00:00+02:00"
    assert window.hours == 167


def test_week_of_autumn_dst_change_lasts_169_hours():
    window = window_at(date(2026, 10, 25), "weekly", PARIS)

    assert window.start.isoformat() == "2026-10-19T00:00:00+02:00"
    assert window.end.isoformat() == "2026-10-26T00:00:00+01:00"
    assert window.hours == 169


def test_daily_window_of_spring_dst_change_lasts_23_hours():
    window = window_at(date(2026, 3, 29), "daily", PARIS)

    assert (window.start.isoformat(), window.end.isoformat()) == (
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
    )
    assert window.hours == 23


def test_window_key_is_the_utc_instants_whatever_the_zone():
    window = window_at(date(2026, 3, 29), "weekly", PARIS)
    same_in_utc = Window(window.start.astimezone(UTC), window.end.astimezone(UTC))

    assert window.key == same_in_utc.key == ("2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z")


def test_window_label_uses_local_dates():
    assert window_at(date(2026, 3, 29), "weekly", PARIS).label == "2026-03-23_2026-03-30"


def test_midnight_in_a_dst_gap_starts_the_day_at_the_change():
    # America/Santiago springs forward at 00:00 on 2026-09-06: that day starts at 01:00 -03
    santiago = ZoneInfo("America/Santiago")

    start = local_midnight(date(2026, 9, 6), santiago)

    assert start.astimezone(UTC) == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert window_at(date(2026, 9, 5), "daily", santiago).hours == 24
    assert window_at(date(2026, 9, 6), "daily", santiago).hours == 23


def test_last_complete_window_on_monday_morning_is_the_week_just_ended():
    window = last_complete(paris(2026, 3, 30, 1, 22), "weekly", PARIS)

    assert window.label == "2026-03-23_2026-03-30"


def test_last_complete_window_just_before_monday_midnight_is_the_week_before():
    window = last_complete(paris(2026, 3, 29, 23, 59), "weekly", PARIS)

    assert window.label == "2026-03-16_2026-03-23"


def test_first_run_makes_the_latest_catch_up_windows_due():
    due = due_windows(paris(2026, 4, 6, 1, 22), "weekly", PARIS, 4)

    assert [w.label for w in due.windows] == [
        "2026-03-09_2026-03-16",
        "2026-03-16_2026-03-23",
        "2026-03-23_2026-03-30",
        "2026-03-30_2026-04-06",
    ]


def week(day: date, zone=PARIS) -> tuple[datetime, datetime]:
    window = window_at(day, "weekly", zone)
    return window.start, window.end


def test_due_windows_start_after_the_last_window_journaled():
    covered = [week(date(2026, 3, 16))]

    due = due_windows(paris(2026, 4, 6, 1, 22), "weekly", PARIS, 4, covered)

    assert [w.label for w in due.windows] == ["2026-03-23_2026-03-30", "2026-03-30_2026-04-06"]


def test_nothing_is_due_when_the_last_complete_window_is_journaled():
    due = due_windows(paris(2026, 4, 12, 23), "weekly", PARIS, 4, [week(date(2026, 3, 30))])

    assert due.windows == []


def test_a_backlog_longer_than_catch_up_is_all_due_after_the_first_run():
    covered = [week(date(2025, 12, 29))]  # the last run ended 2026-01-05

    due = due_windows(paris(2026, 4, 6, 1, 22), "weekly", PARIS, 2, covered)

    assert len(due.windows) == 13  # 2026-01-05 .. 2026-04-06: catch_up bounds the first run only
    assert due.windows[0].label == "2026-01-05_2026-01-12"
    assert due.windows[-1].label == "2026-03-30_2026-04-06"


def test_a_hole_between_journaled_windows_is_due():
    covered = [week(date(2026, 3, 9)), week(date(2026, 3, 23))]

    due = due_windows(paris(2026, 3, 31), "weekly", PARIS, 4, covered)

    assert [w.label for w in due.windows] == ["2026-03-16_2026-03-23"]


def test_after_a_change_of_zone_the_first_window_starts_where_the_last_one_ended():
    los_angeles = ZoneInfo("America/Los_Angeles")
    covered = [week(date(2026, 3, 16), los_angeles)]  # ends 2026-03-23T07:00Z

    due = due_windows(datetime(2026, 3, 31, tzinfo=UTC), "weekly", UTC, 4, covered)

    assert [(w.start_utc.isoformat(), w.end_utc.isoformat()) for w in due.windows] == [
        ("2026-03-23T07:00:00+00:00", "2026-03-30T00:00:00+00:00")
    ]
    assert due.windows[0].label == "2026-03-23T070000_2026-03-30"


def test_after_a_change_from_daily_to_weekly_the_first_week_is_shorter():
    covered = [(paris(2026, 3, 24), paris(2026, 3, 25))]  # a Tuesday, daily

    due = due_windows(paris(2026, 4, 7), "weekly", PARIS, 4, covered)

    assert [w.label for w in due.windows] == ["2026-03-25_2026-03-30", "2026-03-30_2026-04-06"]


def test_time_given_up_is_not_due_and_the_next_window_starts_at_its_end():
    covered = [week(date(2026, 1, 5))]

    due = due_windows(paris(2026, 4, 1), "weekly", PARIS, 4, covered, paris(2026, 3, 18))

    assert [w.label for w in due.windows] == ["2026-03-18_2026-03-23", "2026-03-23_2026-03-30"]


def test_a_skip_before_the_journal_began_makes_nothing_due():
    covered = [week(date(2026, 3, 16)), week(date(2026, 3, 23))]

    due = due_windows(paris(2026, 3, 31), "weekly", PARIS, 4, covered, paris(2025, 1, 6))

    assert due.windows == []


def test_a_skip_before_the_first_run_starts_the_journal_there():
    due = due_windows(paris(2026, 4, 1), "weekly", PARIS, 1, (), paris(2026, 3, 9))

    assert [w.label for w in due.windows] == [
        "2026-03-09_2026-03-16",
        "2026-03-16_2026-03-23",
        "2026-03-23_2026-03-30",
    ]


def test_daily_due_windows_cross_the_dst_change():
    due = due_windows(paris(2026, 3, 31, 1), "daily", PARIS, 3)

    assert [w.hours for w in due.windows] == [24, 23, 24]


def test_one_off_window_reads_naive_bounds_in_the_export_zone():
    window = adhoc_window(
        parse_moment("2026-03-23"), parse_moment("2026-03-30"), paris(2026, 4, 1), PARIS
    )

    assert window.start.isoformat() == "2026-03-23T00:00:00+01:00"
    assert window.end.isoformat() == "2026-03-30T00:00:00+02:00"
    assert window.key == window_at(date(2026, 3, 23), "weekly", PARIS).key


def test_one_off_window_keeps_explicit_offsets():
    window = adhoc_window(
        parse_moment("2026-03-23T12:00:00+00:00"),
        parse_moment("2026-03-24T12:00:00+00:00"),
        paris(2026, 4, 1),
        PARIS,
    )

    assert window.start_utc == datetime(2026, 3, 23, 12, tzinfo=UTC)
    assert window.label == "2026-03-23T130000_2026-03-24T130000"


def test_one_off_window_that_has_not_ended_is_refused():
    with pytest.raises(ValueError, match="has not ended yet"):
        adhoc_window(datetime(2026, 4, 1), datetime(2026, 4, 8), paris(2026, 4, 2), PARIS)


def test_one_off_window_ending_before_it_starts_is_refused():
    with pytest.raises(MomentError, match="before it starts"):
        adhoc_window(datetime(2026, 4, 8), datetime(2026, 4, 1), paris(2026, 5, 1), PARIS)


def test_bad_bound_says_what_is_expected():
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_moment("last monday")


ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    schedule=st.sampled_from(["weekly", "daily"]),
    moment=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    catch_up=st.integers(min_value=1, max_value=8),
)
def test_due_windows_tile_time_up_to_now(zone, schedule, moment, catch_up):
    tz = ZoneInfo(zone)
    now = moment.replace(tzinfo=UTC)

    windows = due_windows(now, schedule, tz, catch_up).windows

    assert len(windows) == catch_up
    assert windows[-1].end_utc <= now < windows[-1].end_utc + timedelta(days=8)
    for earlier, later in itertools.pairwise(windows):
        assert earlier.end_utc == later.start_utc
    for window in windows:
        nominal = 168 if schedule == "weekly" else 24
        assert abs(window.hours - nominal) <= 1
        if schedule == "weekly":
            assert window.start.weekday() == 0


@settings(max_examples=200, deadline=None)
@given(
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=4),
    schedules=st.lists(st.sampled_from(["weekly", "daily"]), min_size=1, max_size=4),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1)),
    gaps=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4),
)
def test_runs_across_changes_of_zone_and_schedule_never_leave_a_moment_out(
    zones, schedules, start, gaps
):
    """Whatever the zone and schedule of each run and the days between runs, the journaled
    windows tile time without a hole or an overlap from the first one to the last bound."""
    now = start.replace(tzinfo=UTC)
    covered: list[tuple[datetime, datetime]] = []
    for run, gap in enumerate(gaps):
        now += timedelta(days=gap)
        zone = ZoneInfo(zones[run % len(zones)])
        schedule = schedules[run % len(schedules)]
        for window in due_windows(now, schedule, zone, 2, covered).windows:
            covered.append((window.start_utc, window.end_utc))
    covered.sort()
    for (_, earlier_end), (later_start, _) in itertools.pairwise(covered):
        assert earlier_end == later_start
