"""The one parser of moments typed by a person (`--from/--until` of every command)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from wazo_rec_tools.moments import MomentError, check_order, in_zone, parse_moment

PARIS = ZoneInfo("Europe/Paris")


def test_a_moment_without_offset_is_in_the_given_zone():
    moment = in_zone(parse_moment("2024-07-01T08:00:00"), PARIS)
    assert moment.isoformat() == "2024-07-01T08:00:00+02:00"


def test_a_date_alone_is_the_first_instant_of_the_day():
    assert parse_moment("2024-01-15") == date(2024, 1, 15)
    assert in_zone(date(2024, 1, 15), PARIS).isoformat() == "2024-01-15T00:00:00+01:00"


def test_a_day_whose_midnight_is_skipped_starts_when_it_really_starts():
    # America/Santiago springs forward at midnight: 2024-09-08 starts at 01:00 -03:00
    santiago = ZoneInfo("America/Santiago")
    assert in_zone(date(2024, 9, 8), santiago).isoformat() == "2024-09-08T01:00:00-03:00"


def test_an_explicit_offset_is_kept():
    assert in_zone(parse_moment("2024-07-01T08:00:00Z"), PARIS) == datetime(
        2024, 7, 1, 8, tzinfo=UTC
    )


def test_a_time_inside_a_dst_gap_is_refused_without_naming_an_option():
    with pytest.raises(MomentError, match="does not exist in Europe/Paris") as caught:
        in_zone(parse_moment("2026-03-29T02:30"), PARIS)
    assert "--" not in str(caught.value)


def test_a_time_in_the_autumn_fold_is_its_first_occurrence():
    moment = in_zone(parse_moment("2026-10-25T02:30"), PARIS)
    assert moment.utcoffset().total_seconds() == 7200


def test_a_bad_moment_says_what_is_expected_without_naming_an_option():
    with pytest.raises(MomentError, match="'last week' is not an ISO date") as caught:
        parse_moment("last week")
    assert "--" not in str(caught.value)


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(MomentError, match="before it starts"):
        check_order(datetime(2026, 4, 8, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
