"""`wazo-rec calls list` and `calls record ...`: live calls in calld (docs/wazo-api.md, calld
§1-§3)."""

from __future__ import annotations

import json

import pytest

RECORD = r"/api/calld/1\.0/calls/[^/]+/record/"


def _call(sandbox, tenant_slug: str, **state) -> dict:
    """A live call of the tenant, put in the given state (the seed draws states at random)."""
    tenant = sandbox.store.tenant(tenant_slug)["uuid"]
    with sandbox.store.lock:
        call = next(c for c in sandbox.store.calld.calls.values() if c["tenant_uuid"] == tenant)
        call.update(auto_recorded=False, record_pending=False, **state)
        return call


def test_calls_list_shows_every_tenants_calls_with_their_record_state(run_cli, sandbox):
    result = run_cli("calls", "list", "--output", "json")
    assert result.exit_code == 0, result.stderr
    calls = json.loads(result.stdout)
    assert {c["call_id"] for c in calls} == set(sandbox.store.calld.calls)
    assert {c["record_state"] for c in calls} <= {"active", "paused", "inactive"}


def test_calls_list_recording_keeps_recorded_calls_only(run_cli, sandbox):
    call = _call(sandbox, "acme", record_active=True, paused=True)
    result = run_cli("calls", "list", "--tenant", "acme", "--recording")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()[2:]
    assert rows and all(row.split()[-1] in ("active", "paused") for row in rows)
    assert any(row.startswith(call["call_id"]) and row.endswith("paused") for row in rows)


def test_record_start_finds_the_calls_tenant_and_sends_it(run_cli, sandbox):
    call = _call(sandbox, "globex", toggle_allowed=True, record_active=False)
    sandbox.log.clear()
    result = run_cli("calls", "record", "start", call["call_id"])
    assert result.exit_code == 0, result.stderr
    (put,) = sandbox.log.find(method="PUT", path=RECORD)
    assert put.tenant == call["tenant_uuid"] and put.status == 204
    assert sandbox.store.calld.calls[call["call_id"]]["record_active"] is True
    assert f"call {call['call_id']}: recording started" in result.stdout


def test_record_with_tenant_slug_sends_that_tenant(run_cli, sandbox):
    call = _call(
        sandbox, "acme", toggle_allowed=True, record_active=True, paused=False, recording_uuid="r1"
    )
    sandbox.log.clear()
    result = run_cli(
        "calls", "record", "pause", call["call_id"], "--tenant", "acme", "--output", "json"
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tenant_uuid"] == call["tenant_uuid"]
    assert [e.tenant for e in sandbox.log.find(service="calld")] == [call["tenant_uuid"]]


def test_record_refused_by_the_toggle_is_explained_in_one_line(run_cli, sandbox):
    call = _call(sandbox, "acme", toggle_allowed=False, record_active=False)
    result = run_cli("calls", "record", "start", call["call_id"])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "403 recording-unauthorized" in result.stderr
    assert "online_call_record_enabled" in result.stderr
    assert "dtmf_record_toggle" in result.stderr


def test_record_pause_of_an_unrecorded_call_is_explained(run_cli, sandbox):
    call = _call(sandbox, "acme", toggle_allowed=True, record_active=False)
    result = run_cli("calls", "record", "pause", call["call_id"], "--tenant", "acme")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: call {call['call_id']}: cannot pause (400 recording-not-started): the call is "
        "not being recorded; start the recording first\n"
    )


@pytest.mark.parametrize("tenant", [None, "acme"])
def test_record_of_an_unknown_call_is_one_line(run_cli, tenant):
    args = ["calls", "record", "stop", "1.999"] + (["--tenant", tenant] if tenant else [])
    result = run_cli(*args)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "1.999" in result.stderr and "ended" in result.stderr


def test_record_start_of_a_call_already_recording_says_so_and_sends_nothing(run_cli, sandbox):
    call = _call(sandbox, "acme", toggle_allowed=True, record_active=True, paused=False)
    sandbox.log.clear()

    result = run_cli("calls", "record", "start", call["call_id"], "--tenant", "acme")

    assert result.exit_code == 0, result.stderr
    assert "already being recorded (record_state active); nothing sent" in result.stdout
    assert "recording started" not in result.stdout
    assert sandbox.log.find(method="PUT", path=RECORD) == []


def test_record_help_lists_whole_summaries(run_cli):
    result = run_cli("calls", "record", "--help", config=None)

    for action in ("start", "stop", "pause", "resume"):
        assert f"{action.capitalize()} recording a live call." in result.stdout
    assert "(e.g." not in result.stdout
