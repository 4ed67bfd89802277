"""Laws of the audit over generated stacks, policies and calls (hypothesis).

- a policy that requires nothing yields no `missing` call, whatever the stack and the calls;
- recording every answered call yields no `missing` call, whatever the policy.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from samples import END, START, TENANT, cdr, recording, user

from wazo_rec_tools.audit.requirement import build_requirement
from wazo_rec_tools.audit.result import audit
from wazo_rec_tools.policy.inventory import Inventory, Tenant
from wazo_rec_tools.policy.load import load_policy_text
from wazo_rec_tools.policy.model import CALL_RECORD_FIELDS, USER_FIELDS
from wazo_rec_tools.policy.resolve import resolve

USERNAMES = [f"u{n}" for n in range(5)]
UUIDS = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(5)]

stack_flags = st.fixed_dictionaries({name: st.booleans() for name in USER_FIELDS})
stacks = st.lists(stack_flags, min_size=len(USERNAMES), max_size=len(USERNAMES))

parties = st.sampled_from([*UUIDS, None, "99999999-0000-4000-8000-000000000000"])
recordings = st.lists(st.booleans(), max_size=2)  # deleted or not, per recording


@st.composite
def calls(draw, *, all_recorded: bool = False):
    items = []
    for n in range(draw(st.integers(0, 25))):
        answered = draw(st.booleans())
        deleted = draw(recordings)
        if all_recorded and answered:
            deleted = [*deleted, False]  # at least one recording kept
        items.append(
            cdr(
                draw(st.sampled_from(["outbound", "inbound", "internal"])),
                cdr_id=n + 1,
                source=draw(parties),
                destination=draw(parties),
                answered=answered,
                recordings=[recording(k, deleted=d) for k, d in enumerate(deleted)],
                start=START + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60 - 1))),
            )
        )
    return items


@st.composite
def policies(draw) -> str:
    """Any users section: defaults and rules setting any fields of any users."""
    lines = ["version: 1", "tenants:", "  - tenant: acme", "    users:"]
    defaults = draw(st.dictionaries(st.sampled_from(USER_FIELDS), st.booleans()))
    if defaults:
        lines.append(f"      defaults: {_flow(defaults)}")
    lines.append("      rules:")
    for _ in range(draw(st.integers(0, 3))):
        who = draw(st.lists(st.sampled_from(USERNAMES), min_size=1, max_size=3, unique=True))
        values = draw(st.dictionaries(st.sampled_from(USER_FIELDS), st.booleans(), min_size=1))
        lines.append(f"        - match: {{users: [{', '.join(who)}]}}")
        lines.append(f"          set: {_flow(values)}")
    if lines[-1] == "      rules:":
        lines[-1] = "      rules: []"
    return "\n".join(lines) + "\n"


def _flow(values: dict[str, bool]) -> str:
    return "{" + ", ".join(f"{k}: {'true' if v else 'false'}" for k, v in values.items()) + "}"


def _inventory(flags: list[dict[str, bool]]) -> Inventory:
    users = [user(u, name, **f) for u, name, f in zip(UUIDS, USERNAMES, flags, strict=True)]
    return Inventory(tenants=[Tenant(TENANT, "acme", "Acme")], users=users)


def _audit(policy_text: str, inventory: Inventory, items: list[dict]):
    desired = resolve(load_policy_text(policy_text), inventory)
    requirement = build_requirement(inventory, desired.tenants)
    return audit(items, requirement, start=START, end=END, zone=UTC)


REQUIRES_NOTHING = (
    "version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults: "
    + _flow(dict.fromkeys(CALL_RECORD_FIELDS, False))
    + "\n"
)


@settings(max_examples=100, deadline=None)
@given(stacks, calls())
def test_a_policy_that_requires_nothing_yields_no_missing_call(flags, items):
    result = _audit(REQUIRES_NOTHING, _inventory(flags), items)

    assert result.categories["missing"] == 0
    assert result.categories["deleted"] == 0
    assert result.required == 0


@settings(max_examples=100, deadline=None)
@given(policies(), stacks, calls(all_recorded=True))
def test_recording_every_answered_call_yields_no_missing_call_for_any_policy(
    policy_text, flags, items
):
    result = _audit(policy_text, _inventory(flags), items)

    assert result.categories["missing"] == 0
    assert result.categories["deleted"] == 0
    assert sum(d.recorded for d in result.days) == result.required
