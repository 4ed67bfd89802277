"""The audit of a stream of CDRs: counts per user and direction, per day, exceptions, exit code."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from samples import ALICE, BOB, END, START, cdr, recording, requirement

from wazo_rec_tools.audit.render import json_chunks
from wazo_rec_tools.audit.result import audit

OUT_EXT = {"call_record_outgoing_external_enabled": True}
PARIS = ZoneInfo("Europe/Paris")


def run(cdrs, req, **kwargs):
    return audit(cdrs, req, start=START, end=END, zone=PARIS, **kwargs)


def test_counts_per_category_and_out_of_scope():
    cdrs = [
        cdr("outbound", cdr_id=1, source=ALICE, recordings=[recording()]),
        cdr("outbound", cdr_id=2, source=ALICE),
        cdr("outbound", cdr_id=3, source=ALICE, answered=False),
        cdr("inbound", cdr_id=4, destination=None),
    ]

    result = run(cdrs, requirement(alice=OUT_EXT))

    assert result.categories == {
        "ok": 1,
        "missing": 1,
        "deleted": 0,
        "on-demand": 0,
        "unexpected": 0,
    }
    assert result.out_of_scope == {"unanswered": 1, "not-users": 1, "other-direction": 0}
    assert (result.in_scope, result.required, result.findings) == (2, 2, 1)


def test_exceptions_list_every_missing_and_unexpected_call_and_nothing_else():
    cdrs = [
        cdr("outbound", cdr_id=1, source=ALICE),
        cdr("outbound", cdr_id=2, source=ALICE, recordings=[recording()]),
        cdr("internal", cdr_id=3, source=BOB, destination=ALICE, recordings=[recording()]),
    ]

    result = run(cdrs, requirement(alice=OUT_EXT))

    assert [(v.cdr_id, v.category) for v in result.exceptions] == [
        (1, "missing"),
        (3, "unexpected"),
    ]


def test_an_internal_call_counts_in_the_rows_of_both_its_users():
    result = run([cdr("internal", source=ALICE, destination=BOB)], requirement())

    assert sorted((r.user, r.direction, r.calls) for r in result.rows) == [
        ("alice", "internal", 1),
        ("bob", "internal", 1),
    ]
    assert result.in_scope == 1


def test_a_user_filter_keeps_only_that_users_rows():
    cdrs = [cdr("internal", source=ALICE, destination=BOB)]

    result = run(cdrs, requirement(), user_uuid=BOB)

    assert [r.user for r in result.rows] == ["bob"]
    assert result.user == "bob"


def test_a_row_says_whether_its_requirement_came_from_the_stack():
    result = run([cdr("outbound", source=ALICE)], requirement(alice=OUT_EXT))

    assert result.rows[0].requirement == "stack"
    assert result.users_from_stack["call_record_outgoing_external_enabled"] == 2


def test_every_day_of_the_window_is_listed_in_the_local_zone_even_without_calls():
    late = START + timedelta(days=2, hours=23, minutes=30)  # 00:30 the next day in Paris
    cdrs = [cdr("outbound", source=ALICE, start=late)]

    result = run(cdrs, requirement(alice=OUT_EXT))

    assert len(result.days) == 8  # Monday 01:00 Paris to the next Monday 01:00
    by_day = {d.day.isoformat(): d for d in result.days}
    assert (by_day["2026-03-05"].required, by_day["2026-03-05"].missing) == (1, 1)
    assert by_day["2026-03-04"].required == 0


def test_recorded_per_day_counts_required_calls_that_were_recorded():
    cdrs = [
        cdr("outbound", cdr_id=1, source=ALICE, recordings=[recording(deleted=True)]),
        cdr("outbound", cdr_id=2, source=ALICE, recordings=[recording()]),
        cdr("outbound", cdr_id=3, source=ALICE),
    ]

    day = run(cdrs, requirement(alice=OUT_EXT)).days[0]

    assert (day.required, day.recorded, day.missing) == (3, 2, 1)


def test_detailed_exit_code_is_2_only_with_findings_and_only_when_asked():
    clean = run([cdr("outbound", source=ALICE)], requirement())
    dirty = run([cdr("outbound", source=ALICE)], requirement(alice=OUT_EXT))

    assert (clean.exit_code(True), dirty.exit_code(True), dirty.exit_code(False)) == (0, 2, 0)


def test_deleted_is_counted_but_is_not_a_finding():
    result = run(
        [cdr("outbound", source=ALICE, recordings=[recording(deleted=True)])],
        requirement(alice=OUT_EXT),
    )

    assert (result.categories["deleted"], result.clean) == (1, True)


def test_as_json_is_plain_json_with_the_window_in_the_local_zone():
    result = run([cdr("outbound", source=ALICE)], requirement(alice=OUT_EXT), policy="p.yml")

    data = json.loads(json.dumps(result.as_json()))
    assert data["window"] == {
        "from": "2026-03-02T01:00:00+01:00",
        "until": "2026-03-09T01:00:00+01:00",
    }
    assert data["calls"]["missing"] == 1 and data["findings"] == 1
    assert data["exceptions"][0]["reasons"][0]["field"] == "call_record_outgoing_external_enabled"
    assert data["policy"] == "p.yml"


def test_streamed_json_is_the_same_document_as_as_json_one_call_a_line():
    cdrs = [
        cdr("outbound", cdr_id=1, source=ALICE),
        cdr("internal", cdr_id=2, source=BOB, destination=ALICE, recordings=[recording()]),
    ]
    result = run(cdrs, requirement(alice=OUT_EXT), policy="p.yml")
    empty = run([], requirement())

    for value in (result, empty):
        assert json.loads("".join(json_chunks(value))) == value.as_json()
    lines = "".join(json_chunks(result)).splitlines()
    calls = [json.loads(line.strip().rstrip(",")) for line in lines if '"cdr_id"' in line]
    assert [c["cdr_id"] for c in calls] == [1, 2]


def test_the_result_is_a_frozen_value():
    result = run([], requirement())

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.exceptions = ()  # type: ignore[misc]
