"""The requirement: the resolver's desired flags, the stack's values where the policy is silent."""

from __future__ import annotations

from samples import ALICE, BOB, SALES_GROUP_ID, SUPPORT_QUEUE_ID, inventory

from wazo_rec_tools.audit.requirement import build_requirement
from wazo_rec_tools.policy.load import load_policy_text
from wazo_rec_tools.policy.resolve import resolve

POLICY = """\
version: 1
tenants:
  - tenant: acme
    users:
      defaults:
        call_record_outgoing_external_enabled: false
      rules:
        - match: {users: [alice]}
          set: {call_record_outgoing_external_enabled: true}
    groups:
      items: {Sales: {dtmf_record_toggle: true}}
"""


def _requirement(policy_text: str, inv=None):
    inv = inv or inventory(bob={"call_record_outgoing_external_enabled": True})
    desired = resolve(load_policy_text(policy_text), inv)
    return build_requirement(inv, desired.tenants)


def test_a_field_the_policy_sets_takes_the_desired_value_and_its_rule():
    flag = _requirement(POLICY).users[ALICE].flags["call_record_outgoing_external_enabled"]

    assert (flag.value, flag.origin, flag.managed) == (True, "policy: rule 1", True)


def test_the_policy_wins_over_the_stacks_current_value():
    flag = _requirement(POLICY).users[BOB].flags["call_record_outgoing_external_enabled"]

    assert (flag.value, flag.origin) == (False, "policy: defaults")


def test_a_field_the_policy_does_not_manage_is_the_stacks_value_flagged_as_such():
    inv = inventory(alice={"online_call_record_enabled": True})

    flag = _requirement(POLICY, inv).users[ALICE].flags["online_call_record_enabled"]

    assert (flag.value, flag.origin, flag.managed) == (True, "stack", False)


def test_a_tenant_without_a_section_is_entirely_the_stacks():
    policy = "version: 1\ntenants: []\n"
    inv = inventory(alice={"call_record_outgoing_external_enabled": True})

    flags = _requirement(policy, inv).users[ALICE].flags

    assert flags["call_record_outgoing_external_enabled"].value is True
    assert {f.origin for f in flags.values()} == {"stack"}


def test_a_group_the_policy_lists_takes_its_toggle_and_a_queue_it_does_not_keeps_the_stacks():
    inv = inventory(queue_toggle=True)

    req = _requirement(POLICY, inv)

    assert req.groups[SALES_GROUP_ID].dtmf_record_toggle.origin == "policy: groups items"
    assert req.groups[SALES_GROUP_ID].dtmf_record_toggle.value is True
    queue = build_requirement(inv, queue_extensions={SUPPORT_QUEUE_ID: [("3000", "ctx")]})
    assert queue.extensions[(inv.tenants[0].uuid, "3000", "ctx")].dtmf_record_toggle.value is True
    assert queue.extensions[(inv.tenants[0].uuid, "3000", "ctx")].dtmf_record_toggle.origin == (
        "stack"
    )
