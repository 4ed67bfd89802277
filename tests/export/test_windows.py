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
    parse_bound,
    window_at,
)

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
    due = due_windows(paris(2026, 4, 6, 1, 22), "weekly", PARIS, 4, done_until=None)

    assert [w.label for w in due.windows] == [
        "2026-03-09_2026-03-16",
        "2026-03-16_2026-03-23",
        "2026-03-23_2026-03-30",
        "2026-03-30_2026-04-06",
    ]
    assert due.skipped == 0


def test_due_windows_start_after_the_last_window_done():
    done_until = paris(2026, 3, 23)

    due = due_windows(paris(2026, 4, 6, 1, 22), "weekly", PARIS, 4, done_until)

    assert [w.label for w in due.windows] == ["2026-03-23_2026-03-30", "2026-03-30_2026-04-06"]


def test_nothing_is_due_when_the_last_complete_window_is_done():
    due = due_windows(paris(2026, 4, 12, 23), "weekly", PARIS, 4, paris(2026, 4, 6))

    assert due.windows == []


def test_catch_up_bounds_the_due_windows_and_reports_the_skipped_ones():
    done_until = paris(2026, 1, 5)

    due = due_windows(paris(2026, 4, 6, 1, 22), "weekly", PARIS, 2, done_until)

    assert [w.label for w in due.windows] == ["2026-03-23_2026-03-30", "2026-03-30_2026-04-06"]
    assert due.skipped == 11  # the weeks of 2026-01-05 .. 2026-03-16
    assert due.first_skipped is not None
    assert due.first_skipped.label == "2026-01-05_2026-01-12"


def test_windows_already_done_are_not_due_again():
    week = window_at(date(2026, 3, 25), "weekly", PARIS)

    due = due_windows(paris(2026, 4, 6, 1), "weekly", PARIS, 4, None, done=[week.key])

    assert week not in due.windows
    assert len(due.windows) == 3


def test_daily_due_windows_cross_the_dst_change():
    due = due_windows(paris(2026, 3, 31, 1), "daily", PARIS, 3, None)

    assert [w.hours for w in due.windows] == [24, 23, 24]


def test_one_off_window_reads_naive_bounds_in_the_export_zone():
    window = adhoc_window(
        parse_bound("2026-03-23"), parse_bound("2026-03-30"), paris(2026, 4, 1), PARIS
    )

    assert window.start.isoformat() == "2026-03-23T00:00:00+01:00"
    assert window.end.isoformat() == "2026-03-30T00:00:00+02:00"
    assert window.key == window_at(date(2026, 3, 23), "weekly", PARIS).key


def test_one_off_window_keeps_explicit_offsets():
    window = adhoc_window(
        parse_bound("2026-03-23T12:00:00+00:00"),
        parse_bound("2026-03-24T12:00:00+00:00"),
        paris(2026, 4, 1),
        PARIS,
    )

    assert window.start_utc == datetime(2026, 3, 23, 12, tzinfo=UTC)
    assert window.label == "2026-03-23T130000_2026-03-24T130000"


def test_one_off_window_that_has_not_ended_is_refused():
    with pytest.raises(ValueError, match="has not ended yet"):
        adhoc_window(datetime(2026, 4, 1), datetime(2026, 4, 8), paris(2026, 4, 2), PARIS)


def test_one_off_window_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="must be after"):
        adhoc_window(datetime(2026, 4, 8), datetime(2026, 4, 1), paris(2026, 5, 1), PARIS)


def test_bad_bound_says_what_is_expected():
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_bound("last monday")


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

    windows = due_windows(now, schedule, tz, catch_up, None).windows

    assert len(windows) == catch_up
    assert windows[-1].end_utc <= now < windows[-1].end_utc + timedelta(days=8)
    for earlier, later in itertools.pairwise(windows):
        assert earlier.end_utc == later.start_utc
    for window in windows:
        nominal = 168 if schedule == "weekly" else 24
        assert abs(window.hours - nominal) <= 1
        if schedule == "weekly":
            assert window.start.weekday() == 0
