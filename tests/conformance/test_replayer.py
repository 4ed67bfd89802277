"""The replayer itself: it must see a divergence when there is one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox, SeedSpec

from .replay import Target, check_asserts, replay_case, select, shape_differences, substitute


def test_a_placeholder_alone_keeps_its_type_and_inside_text_becomes_text() -> None:
    values = {"flag": False, "id": 7}
    assert substitute({"a": "{flag}", "b": "/users/{id}"}, values) == {"a": False, "b": "/users/7"}


def test_paths_reach_list_items_and_indexes() -> None:
    body = {"items": [{"groups": [{"uuid": "a"}, {"uuid": "b"}]}, {"groups": []}]}
    assert select(body, "items[].groups[]") == [{"uuid": "a"}, {"uuid": "b"}]
    assert select(body, "$.items[0].groups[1].uuid") == ["b"]


def test_sorted_as_text_refuses_a_numeric_order() -> None:
    body = {"items": [{"id": 2}, {"id": 10}]}
    errors = check_asserts(
        body, [{"kind": "sorted", "path": "items[]", "key": "id", "as": "text"}], {}
    )
    assert errors and "not sorted" in errors[0]


def test_a_type_change_is_a_divergence_but_a_missing_key_is_only_noted() -> None:
    errors, notes = shape_differences({"a": "1"}, {"a": "integer", "b": "string"})
    assert errors == ["$.a is string ('1'), real server: integer"]
    assert notes == ["$.b missing"]


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with Sandbox(SeedSpec(users=4)) as sandbox:
        urls = sandbox.urls
        yield Target(lambda service: urls[service])


def test_replay_reports_each_divergence_and_still_runs_the_then_steps(target: Target) -> None:
    case = {
        "id": "probe",
        "service": "auth",
        "request": {"method": "HEAD", "path": "/status", "headers": {}},
        "response": {"status": 204, "body_kind": "empty"},
        "then": [
            {
                "request": {"method": "GET", "path": "/no-such-route", "headers": {}},
                "response": {
                    "status": 404,
                    "content_type": "application/json",
                    "body_kind": "json",
                },
            }
        ],
    }
    with requests.Session() as session:
        errors, _ = replay_case(session, target, case, {})
    assert errors[0].startswith("request HEAD auth /status: status 200, real server: 204")
    assert errors[1].startswith("then[0] GET auth /no-such-route: body is not JSON")
    assert "then[0] GET auth /no-such-route: content type 'text/html'" in errors[2]
