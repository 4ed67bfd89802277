"""converge(): plan -> safety -> confirm -> apply -> verify, as a value (no server)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from policy_samples import inventory, policy
from test_policy_apply import FakeWazo

from wazo_rec_tools.policy.converge import NOT_CONFIRMED, converge
from wazo_rec_tools.policy.sync import sync_outcome

ONLINE = "online_call_record_enabled"
ONLINE_FOR_ALL = (
    f"version: 1\ntenants:\n  - tenant: acme\n    users: {{defaults: {{{ONLINE}: true}}}}\n"
)
AT = datetime(2026, 12, 1, tzinfo=UTC)


def as_written(wazo, before, changes):
    """What a re-read finds: each user PUT the fake confd accepted, applied."""
    done = {uuid: body for uuid, body in wazo.confd.puts if uuid not in wazo.confd.broken}
    return dataclasses.replace(
        before,
        users=[
            dataclasses.replace(u, **done[u.uuid]) if u.uuid in done else u for u in before.users
        ],
    )


def test_policy_already_met_converges_without_a_write():
    wazo = FakeWazo()

    result = converge(wazo, policy("version: 1\ntenants:\n  - tenant: acme\n"), inventory)

    assert (result.ok, result.outcomes, result.residual) == (True, (), None)
    assert wazo.confd.puts == []
    assert sync_outcome(result, AT).events == []


def test_changes_are_applied_then_verified_by_reading_them_again():
    wazo = FakeWazo()

    result = converge(wazo, policy(ONLINE_FOR_ALL), inventory, reread=as_written)

    assert result.ok and result.verified
    assert result.changed == len(result.planned.changes) == len(wazo.confd.puts)
    types = [e.type for e in sync_outcome(result, AT).events]
    assert types == ["policy.drift", "policy.applied"]


def test_safety_refusal_is_a_value_with_the_drift_and_no_write():
    strict = ONLINE_FOR_ALL + "safety: {max_change_percent: 1}\n"
    many = dataclasses.replace(
        inventory(),
        users=[
            dataclasses.replace(u, uuid=f"{u.uuid[:-3]}{i:03d}", id=i)
            for i, u in enumerate(inventory().users * 4)
        ],
    )
    wazo = FakeWazo()

    result = converge(wazo, policy(strict), lambda: many)

    assert not result.ok
    assert result.refused.startswith("refusing to change")
    assert wazo.confd.puts == []
    outcome = sync_outcome(result, AT)
    assert [e.type for e in outcome.events] == ["policy.drift"]
    assert outcome.errors[0] == result.refused


def test_declined_confirmation_writes_nothing():
    wazo = FakeWazo()

    result = converge(wazo, policy(ONLINE_FOR_ALL), inventory, confirm=lambda _: False)

    assert result.refused == NOT_CONFIRMED
    assert wazo.confd.puts == []


def test_remaining_drift_after_apply_fails_the_run_first_error_first():
    plan_users = [u for u in inventory().users if u.tenant_uuid.startswith("aaaa")]
    wazo = FakeWazo({plan_users[0].uuid})

    result = converge(wazo, policy(ONLINE_FOR_ALL), inventory, reread=as_written)

    assert not result.ok
    errors = result.errors()
    assert "500: boom" in errors[0]
    assert errors[-1] == "re-read found 1 object differing from the policy"
    assert sync_outcome(result, AT).tenants == {"acme": False}
