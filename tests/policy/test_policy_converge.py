"""converge(): plan -> safety -> confirm -> apply -> re-plan, as a value (no server)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from policy_samples import inventory, policy
from test_policy_apply import FakeWazo

from wazo_rec_tools.policy.converge import NOT_CONFIRMED, converge
from wazo_rec_tools.policy.plan import Plan, build_plan
from wazo_rec_tools.policy.resolve import resolve
from wazo_rec_tools.policy.sync import sync_outcome

ONLINE = (
    "version: 1\ntenants:\n  - tenant: acme\n"
    "    users: {defaults: {online_call_record_enabled: true}}\n"
)
AT = datetime(2026, 12, 1, tzinfo=UTC)


def planned() -> Plan:
    return build_plan(resolve(policy(ONLINE), inventory()))


def planner(*plans: Plan):
    queue = list(plans)
    return lambda: queue.pop(0)


def test_empty_plan_converges_without_a_write():
    empty = replace(planned(), changes=())
    wazo = FakeWazo()

    result = converge(wazo, planner(empty))

    assert (result.ok, result.outcomes, result.residual) == (True, (), None)
    assert wazo.confd.puts == []
    assert sync_outcome(result, AT).events == []


def test_changes_are_applied_then_verified_by_a_second_plan():
    first = planned()
    wazo = FakeWazo()

    result = converge(wazo, planner(first, replace(first, changes=())))

    assert result.ok and result.verified
    assert result.changed == len(first.changes)
    assert len(wazo.confd.puts) == len(first.changes)
    types = [e.type for e in sync_outcome(result, AT).events]
    assert types == ["policy.drift", "policy.applied"]


def test_safety_refusal_is_a_value_with_the_drift_and_no_write():
    big = replace(planned(), max_change_percent=1)
    big = replace(big, changes=big.changes * 4)  # past SAFETY_MIN_CHANGES
    wazo = FakeWazo()

    result = converge(wazo, planner(big))

    assert not result.ok
    assert result.refused.startswith("refusing to change")
    assert wazo.confd.puts == []
    outcome = sync_outcome(result, AT)
    assert [e.type for e in outcome.events] == ["policy.drift"]
    assert outcome.errors[0] == result.refused


def test_declined_confirmation_writes_nothing():
    wazo = FakeWazo()

    result = converge(wazo, planner(planned()), confirm=lambda _: False)

    assert result.refused == NOT_CONFIRMED
    assert wazo.confd.puts == []


def test_remaining_drift_after_apply_fails_the_run_first_error_first():
    first = planned()
    broken = first.changes[0].object_id
    wazo = FakeWazo({broken})

    result = converge(wazo, planner(first, replace(first, changes=first.changes[:1])))

    assert not result.ok
    errors = result.errors()
    assert "500: boom" in errors[0]
    assert errors[-1] == "re-read found 1 object differing from the policy"
    assert sync_outcome(result, AT).tenants == {"acme": False}
