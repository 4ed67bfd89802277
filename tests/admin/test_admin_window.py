"""Time windows of the recordings commands: parsing, local zone, splitting."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from wazo_rec_tools.admin.window import split_window
from wazo_rec_tools.localzone import local_timezone

PARIS = ZoneInfo("Europe/Paris")


def test_local_timezone_follows_tz(monkeypatch):
    monkeypatch.setenv("TZ", "America/Montreal")
    assert local_timezone() == ZoneInfo("America/Montreal")


def test_a_window_shorter_than_the_span_is_one_query():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert split_window(start, start + timedelta(days=3), timedelta(days=31)) == [
        (start, start + timedelta(days=3))
    ]


def test_a_long_window_is_split_into_spans():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    pieces = split_window(start, start + timedelta(days=70), timedelta(days=31))
    assert [(b - a).days for a, b in pieces] == [31, 31, 8]


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    st.integers(min_value=1, max_value=5_000_000),
    st.floats(min_value=0.01, max_value=60),
)
def test_split_pieces_are_contiguous_bounded_and_cover_the_window(naive, span, spans):
    start = naive.replace(tzinfo=PARIS)
    end = start + timedelta(seconds=max(1, int(span * spans)))
    pieces = split_window(start, end, timedelta(seconds=span))
    assert pieces[0][0] == start and pieces[-1][1] == end
    for (_, upper), (lower, _) in itertools.pairwise(pieces):
        assert upper == lower
    assert all(a < b and b - a <= timedelta(seconds=span) for a, b in pieces)
