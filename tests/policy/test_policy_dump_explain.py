"""`dump` (the stack as a policy) and `explain` (why a user is set the way it is)."""

from __future__ import annotations

import pytest
from policy_samples import ACME, GLOBEX, inventory, policy, user

from wazo_rec_tools.errors import UserError
from wazo_rec_tools.policy.dump import dump_policy
from wazo_rec_tools.policy.explain import explain, explain_json, explain_text
from wazo_rec_tools.policy.inventory import Group
from wazo_rec_tools.policy.load import load_policy_text
from wazo_rec_tools.policy.plan import build_plan
from wazo_rec_tools.policy.resolve import resolve

DUMPED = """\
# Written by `wazo-rec dump`: the recording settings of the stack as they are.
# `wazo-rec plan` against this file shows no changes; edit it, then plan and apply.
version: 1
features:
  callrecord: {enabled: false, exten: '*26'}
  togglerecord: {exten: '*3'}
tenants:
- tenant: acme
  users:
    defaults:
      call_record_outgoing_internal_enabled: false
      call_record_outgoing_external_enabled: false
      call_record_incoming_internal_enabled: false
      call_record_incoming_external_enabled: false
      online_call_record_enabled: false
    rules:
    - match: {users: [erin]}
      set: {call_record_incoming_external_enabled: true}
    - match: {users: [carol]}
      set: {online_call_record_enabled: true}
  groups:
    defaults: {dtmf_record_toggle: false}
    items:
      Support: {dtmf_record_toggle: true}
  queues:
    defaults: {dtmf_record_toggle: false}
    items:
      sales: {dtmf_record_toggle: true}
  retention: {cdr_days: 365, export_days: 2}
- tenant: globex
  users:
    defaults:
      call_record_outgoing_internal_enabled: false
      call_record_outgoing_external_enabled: false
      call_record_incoming_internal_enabled: false
      call_record_incoming_external_enabled: false
      online_call_record_enabled: false
  groups:
    defaults: {dtmf_record_toggle: false}
  queues:
    defaults: {dtmf_record_toggle: false}
safety: {max_change_percent: 30}
"""


def replan(text: str, stack) -> list:
    return list(build_plan(resolve(load_policy_text(text), stack)).changes)


def test_dump_writes_the_stack_as_a_policy():
    assert dump_policy(inventory()).yaml() == DUMPED


def test_plan_after_dump_is_empty():
    stack = inventory()
    assert replan(dump_policy(stack).yaml(), stack) == []


def test_dump_uses_a_group_rule_when_all_members_share_a_value():
    stack = inventory()
    for u in stack.users[:2]:  # alice and bob: the Sales group
        u.call_record_outgoing_external_enabled = True
    section = dump_policy(stack).policy["tenants"][0]["users"]
    assert section["rules"][0] == {
        "match": {"groups": ["Sales"]},
        "set": {"call_record_outgoing_external_enabled": True},
    }
    assert replan(dump_policy(stack).yaml(), stack) == []


def test_dump_groups_users_with_the_same_overrides_in_one_rule():
    stack = inventory()
    stack.users[0].online_call_record_enabled = True  # alice joins carol
    rules = dump_policy(stack).policy["tenants"][0]["users"]["rules"]
    assert {
        "match": {"users": ["alice", "carol"]},
        "set": {"online_call_record_enabled": True},
    } in rules


def test_dump_names_users_by_uuid_when_the_username_is_ambiguous_or_missing():
    stack = inventory()
    stack.users.append(user(7, ACME, "ALICE", None, call_record_outgoing_internal_enabled=True))
    stack.users[3].online_call_record_enabled = True  # Dave has no username
    stack.users[0].call_record_outgoing_internal_enabled = True
    rules = dump_policy(stack).policy["tenants"][0]["users"]["rules"]
    refs = sorted(ref for rule in rules for ref in rule["match"].get("users", []))
    assert refs == [
        "11111111-0000-4000-8000-000000000001",
        "11111111-0000-4000-8000-000000000004",
        "11111111-0000-4000-8000-000000000007",
        "carol",
        "erin",
    ]
    assert replan(dump_policy(stack).yaml(), stack) == []


def test_dump_names_groups_sharing_a_label_by_uuid():
    stack = inventory()
    stack.groups.append(Group("g-dup", 105, ACME.uuid, "Support", "grp-acme-support-2"))
    items = dump_policy(stack).policy["tenants"][0]["groups"]["items"]
    assert items == {"11111111-0000-4000-8000-000000000102": {"dtmf_record_toggle": True}}
    assert replan(dump_policy(stack).yaml(), stack) == []


def test_dump_of_one_tenant():
    tenants = dump_policy(inventory(), [GLOBEX]).policy["tenants"]
    assert [t["tenant"] for t in tenants] == ["globex"]


def test_dump_leaves_features_out_when_they_were_not_read():
    stack = inventory()
    stack.callrecord = None
    stack.applicationmap = None
    assert "features" not in dump_policy(stack).policy


# -- explain ------------------------------------------------------------------------------------

EXPLAINED = """\
version: 1
tenants:
  - tenant: acme
    users:
      defaults: {online_call_record_enabled: false}
      rules:
        - match: {groups: [Support]}
          set: {online_call_record_enabled: true, call_record_incoming_internal_enabled: true}
        - match: {users: [bob]}
          set: {call_record_incoming_internal_enabled: false}
"""


def test_explain_shows_current_desired_and_origin_per_field():
    text = explain_text(explain(policy(EXPLAINED), inventory(), "bob"))
    assert text == (
        "user bob (11111111-0000-4000-8000-000000000002) in tenant acme\n"
        "matched by: defaults (policy.yml:5:17), rule 1 {groups: [Support]} (policy.yml:7:11), "
        "rule 2 {users: [bob]} (policy.yml:9:11)\n"
        "  field                                  current  desired  set by\n"
        "  call_record_outgoing_internal_enabled  false    -        not managed\n"
        "  call_record_outgoing_external_enabled  false    -        not managed\n"
        "  call_record_incoming_internal_enabled  false    false    rule 2\n"
        "  call_record_incoming_external_enabled  false    -        not managed\n"
        "  online_call_record_enabled             false    true     rule 1  (will change)"
    )


def test_explain_finds_users_by_email_and_uuid_case_insensitively():
    stack = inventory()
    assert explain(policy(EXPLAINED), stack, "DAVE@acme.com").user.id == 4
    assert explain(policy(EXPLAINED), stack, "11111111-0000-4000-8000-000000000005").user.id == 5


def test_explain_of_a_user_outside_the_policy():
    result = explain(policy(EXPLAINED), inventory(), "frank")
    assert explain_json(result)["in_policy"] is False
    assert "its tenant is not in the policy: nothing is managed" in explain_text(result)


def test_explain_of_an_unknown_user_is_an_error():
    with pytest.raises(UserError) as caught:
        explain(policy(EXPLAINED), inventory(), "zoe")
    assert (
        str(caught.value) == "no user 'zoe' (by username, e-mail, uuid or id) in the tenants read"
    )


def test_explain_json():
    document = explain_json(explain(policy(EXPLAINED), inventory(), "carol"))
    assert document["fields"]["online_call_record_enabled"] == {
        "current": True,
        "desired": True,
        "origin": "rule 1",
    }
    assert document["matched"] == [
        {"origin": "defaults", "where": "policy.yml:5:17"},
        {"origin": "rule 1", "where": "policy.yml:7:11", "match": "{groups: [Support]}"},
    ]
