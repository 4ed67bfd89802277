"""The plan: which objects change, with which exact request bodies, and the safety check."""

from __future__ import annotations

import pytest
from policy_samples import ACME, TOGGLERECORD, inventory, policy, user

from wazo_rec_tools.errors import SafetyRefused
from wazo_rec_tools.policy.inventory import Inventory
from wazo_rec_tools.policy.plan import Change, FieldChange, Plan, build_plan
from wazo_rec_tools.policy.resolve import resolve


def plan_of(text: str, stack: Inventory | None = None) -> Plan:
    return build_plan(resolve(policy(text), stack or inventory()))


def acme(section: str) -> str:
    return f"version: 1\ntenants:\n  - tenant: acme\n{section}"


def only(plan: Plan) -> Change:
    assert len(plan.changes) == 1, plan.changes
    return plan.changes[0]


def test_user_body_carries_only_the_changed_fields():
    plan = plan_of(
        acme(
            "    users:\n"
            "      rules:\n"
            "        - match: {users: [carol]}\n"
            "          set: {online_call_record_enabled: true,"
            " call_record_outgoing_internal_enabled: true}\n"
        )
    )
    change = only(plan)
    assert (change.kind, change.object_id, change.name) == (
        "user",
        "11111111-0000-4000-8000-000000000003",
        "carol",
    )
    assert change.body() == {"call_record_outgoing_internal_enabled": True}
    assert change.fields == {
        "call_record_outgoing_internal_enabled": FieldChange(False, True, "rule 1")
    }


def test_user_body_never_carries_call_record_enabled_even_when_all_four_flags_change():
    four = ", ".join(
        f"call_record_{d}_{s}_enabled: true"
        for d in ("outgoing", "incoming")
        for s in ("internal", "external")
    )
    section = "    users:\n      rules:\n        - match: {users: [alice]}\n"
    change = only(plan_of(acme(section + f"          set: {{{four}}}\n")))
    assert "call_record_enabled" not in change.body()
    assert len(change.body()) == 4


def test_unchanged_users_are_not_in_the_plan():
    plan = plan_of(
        acme("    users:\n      defaults: {call_record_outgoing_internal_enabled: false}\n")
    )
    assert plan.empty
    assert plan.objects_in_scope == 5


def test_group_body_carries_the_current_ignore_forward():
    change = only(plan_of(acme("    groups:\n      items: {Sales: {dtmf_record_toggle: true}}\n")))
    assert change.kind == "group"
    assert change.object_id == "11111111-0000-4000-8000-000000000101"
    # docs/wazo-api.md, confd §3: omitting ignore_forward would reset the Sales group's true to
    # false
    assert change.body() == {"dtmf_record_toggle": True, "ignore_forward": True}


def test_group_body_carries_ignore_forward_false_too():
    change = only(
        plan_of(acme("    groups:\n      items: {Support: {dtmf_record_toggle: false}}\n"))
    )
    assert change.body() == {"dtmf_record_toggle": False, "ignore_forward": False}


def test_queue_change_is_addressed_by_int_id():
    change = only(
        plan_of(acme("    queues:\n      items: {support: {dtmf_record_toggle: true}}\n"))
    )
    assert (change.kind, change.object_id) == ("queue", 201)
    assert change.body() == {"dtmf_record_toggle": True}


def test_callrecord_feature_body_carries_only_what_changes():
    change = only(plan_of("version: 1\nfeatures:\n  callrecord: {enabled: true, exten: '*26'}\n"))
    assert (change.kind, change.object_id) == ("feature", "11111111-0000-4000-8000-000000000301")
    assert change.body() == {"enabled": True}


def test_callrecord_feature_exten_change():
    change = only(plan_of("version: 1\nfeatures:\n  callrecord: {enabled: false, exten: '*27'}\n"))
    assert change.body() == {"exten": "*27"}


def test_applicationmap_body_is_the_whole_map_with_only_the_togglerecord_dtmf_replaced():
    change = only(plan_of("version: 1\nfeatures:\n  togglerecord: {exten: '*4'}\n"))
    assert change.kind == "applicationmap"
    assert change.fields == {"togglerecord": FieldChange("*3", "*4", "features.togglerecord")}
    assert change.body() == {
        "options": {
            "togglerecord": "*4,self,AGI(agi://${WAZO_AGID_IP}/call_recording)",
            "custom": "*7,self,Playback(beep)",
        }
    }
    assert TOGGLERECORD.startswith("*3,")


def test_retention_body_carries_all_three_keys_keeping_the_unset_ones():
    change = only(plan_of(acme("    retention: {recording_days: 90}\n")))
    assert (change.kind, change.object_id) == ("retention", ACME.uuid)
    assert change.fields == {"recording_days": FieldChange(None, 90, "retention")}
    # docs/wazo-api.md, call-logd §9: an omitted key would be reset to null
    assert change.body() == {"cdr_days": 365, "recording_days": 90, "export_days": 2}


def test_retention_already_in_line_is_not_in_the_plan():
    assert plan_of(acme("    retention: {cdr_days: 365, export_days: 2}\n")).empty


def test_changes_are_ordered_features_then_tenants_in_policy_order():
    text = (
        "version: 1\nfeatures:\n  togglerecord: {exten: '*4'}\n  callrecord: {enabled: true}\n"
        "tenants:\n"
        "  - tenant: globex\n    users:\n      defaults: {online_call_record_enabled: true}\n"
        "  - tenant: acme\n    retention: {export_days: 7}\n"
        "    queues:\n      defaults: {dtmf_record_toggle: true}\n"
        "    groups:\n      defaults: {dtmf_record_toggle: true}\n"
        "    users:\n      rules:\n        - match: {users: [erin, bob]}\n"
        "          set: {online_call_record_enabled: true}\n"
    )
    order = [(c.kind, c.name) for c in plan_of(text).changes]
    assert order == [
        ("feature", "callrecord (*26)"),
        ("applicationmap", "togglerecord"),
        ("user", "frank"),
        ("user", "bob"),
        ("user", "erin"),
        ("group", "Accounting"),
        ("group", "Sales"),
        ("queue", "support"),
        ("retention", "acme"),
    ]


def test_counts_per_kind():
    text = acme(
        "    users:\n      defaults: {online_call_record_enabled: true}\n"
        "    groups:\n      defaults: {dtmf_record_toggle: true}\n"
    )
    plan = plan_of(text)
    assert plan.counts() == {"user": 4, "group": 2}
    assert plan.objects_in_scope == 8


# -- safety ---------------------------------------------------------------------------------------


def stack_of(n_users: int) -> Inventory:
    stack = inventory()
    stack.users = [user(1000 + i, ACME, f"u{i}", None) for i in range(n_users)]
    return stack


def plan_changing(changed: int, in_scope: int, percent: float = 30) -> Plan:
    """`in_scope` users managed by `defaults`, `changed` of them out of line."""
    stack = stack_of(in_scope)
    for u in stack.users[:changed]:
        u.online_call_record_enabled = True
    text = acme(
        "    users:\n      defaults: {online_call_record_enabled: false}\n"
        f"safety: {{max_change_percent: {percent}}}\n"
    )
    plan = plan_of(text, stack)
    assert (len(plan.changes), plan.objects_in_scope) == (changed, in_scope)
    return plan


def test_safety_lets_ten_changes_through_whatever_their_share():
    plan_changing(10, 10).check_safety()


def test_safety_refuses_eleven_changes_above_the_threshold():
    with pytest.raises(SafetyRefused) as caught:
        plan_changing(11, 36).check_safety()  # 30.6 %
    assert str(caught.value) == (
        "refusing to change 11 of 36 objects in scope (31% > safety.max_change_percent 30%): "
        "review `wazo-rec plan`, then run apply with --force"
    )


def test_safety_lets_eleven_changes_at_or_below_the_threshold_through():
    plan_changing(11, 37).check_safety()  # 29.7 %
    plan_changing(12, 40).check_safety()  # exactly 30 %


def test_safety_is_overridden_by_force():
    plan_changing(11, 11).check_safety(force=True)


def test_safety_threshold_comes_from_the_policy():
    plan_changing(20, 40, percent=50).check_safety()
    with pytest.raises(SafetyRefused):
        plan_changing(20, 40, percent=49.9).check_safety()
