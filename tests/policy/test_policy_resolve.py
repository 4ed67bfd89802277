"""Resolution: which users, groups and queues a policy manages, to which values, and why."""

from __future__ import annotations

import pytest
from policy_samples import ACME, GLOBEX, inventory, policy

from wazo_rec_tools.errors import UserError
from wazo_rec_tools.policy.resolve import resolve

ONLINE = "online_call_record_enabled"
IN_EXT = "call_record_incoming_external_enabled"
OUT_EXT = "call_record_outgoing_external_enabled"


def tenant_policy(section: str, tenant: str = "acme") -> str:
    """A one-tenant policy; `section` is YAML indented for the tenant's mapping."""
    return f"version: 1\ntenants:\n  - tenant: '{tenant}'\n{section}"


def rules(*pairs: tuple[str, str], defaults: str | None = None) -> str:
    """A users section: optional defaults, then (match, set) rules in flow style."""
    lines = ["    users:"]
    if defaults is not None:
        lines.append(f"      defaults: {defaults}")
    if pairs:
        lines.append("      rules:")
        for match, set_ in pairs:
            lines += [f"        - match: {match}", f"          set: {set_}"]
    return "\n".join(lines) + "\n"


def desired_users(section: str, tenant: str = "acme") -> dict[str, dict]:
    """user display name -> {field: (value, origin)} for every managed user."""
    desired = resolve(policy(tenant_policy(section, tenant)), inventory())
    return {d.user.display: d.settings for t in desired.tenants for d in t.users}


def online_for(match: str) -> list[str]:
    """The users a rule with this `match` sets online recording for."""
    return sorted(desired_users(rules((match, f"{{{ONLINE}: true}}"))))


def test_defaults_apply_to_every_user_of_the_tenant_only():
    managed = desired_users(rules(defaults=f"{{{ONLINE}: true}}"))
    assert sorted(managed) == ["Dave@acme.com", "alice", "bob", "carol", "erin"]
    assert managed["alice"] == {ONLINE: (True, "defaults")}


def test_later_rules_win_field_by_field():
    managed = desired_users(
        rules(
            ("{groups: [Sales]}", f"{{{ONLINE}: true, {OUT_EXT}: true}}"),
            ("{users: [bob]}", f"{{{ONLINE}: false}}"),
            defaults=f"{{{ONLINE}: false, {IN_EXT}: true}}",
        )
    )
    assert managed["bob"] == {
        OUT_EXT: (True, "rule 1"),
        IN_EXT: (True, "defaults"),
        ONLINE: (False, "rule 2"),
    }
    assert managed["alice"] == {
        OUT_EXT: (True, "rule 1"),
        IN_EXT: (True, "defaults"),
        ONLINE: (True, "rule 1"),
    }
    assert managed["erin"] == {IN_EXT: (True, "defaults"), ONLINE: (False, "defaults")}


def test_users_matched_by_nothing_are_not_managed():
    assert online_for("{users: [alice]}") == ["alice"]


def test_fields_nobody_sets_are_not_managed():
    managed = desired_users(rules(defaults=f"{{{ONLINE}: true}}"))
    assert all(list(settings) == [ONLINE] for settings in managed.values())


def test_user_patterns_match_username_email_and_uuid():
    uuid = "11111111-0000-4000-8000-000000000003"
    assert online_for(f"{{users: [alice, 'bob@acme.com', '{uuid}']}}") == ["alice", "bob", "carol"]


def test_user_patterns_are_case_insensitive():
    assert online_for("{users: [ALICE, 'dave@ACME.com']}") == ["Dave@acme.com", "alice"]


def test_glob_patterns_match_emails_and_usernames():
    assert online_for("{users: ['*@support.acme.com', 'er?n']}") == ["carol", "erin"]


def test_groups_match_members_by_label():
    assert online_for("{groups: [Support]}") == ["bob", "carol"]


def test_users_and_groups_together_match_users_in_both():
    assert online_for("{users: ['*@acme.com'], groups: [Support]}") == ["bob"]


def test_groups_are_named_by_uuid_name_or_label():
    uuid = "11111111-0000-4000-8000-000000000102"
    assert online_for(f"{{groups: ['{uuid}']}}") == ["bob", "carol"]
    assert online_for("{groups: [grp-acme-support]}") == ["bob", "carol"]


def test_a_group_member_of_another_tenant_is_not_selected():
    stack = inventory()
    stack.groups[0].members += ("11111111-0000-4000-8000-000000000006",)  # frank, globex
    section = rules(("{groups: [Sales]}", f"{{{ONLINE}: true}}"))
    desired = resolve(policy(tenant_policy(section)), stack)
    assert sorted(d.user.display for d in desired.tenants[0].users) == ["alice", "bob"]


def resolved_warnings(section: str) -> list[str]:
    desired = resolve(policy(tenant_policy(section)), inventory())
    return desired.warnings


def test_a_group_without_members_is_a_warning_at_its_name():
    section = rules(("{groups: [Sales, Accounting]}", f"{{{ONLINE}: true}}"))
    assert resolved_warnings(section) == [
        "policy.yml:6:35: warning: group 'Accounting' in tenant 'acme' has no members"
    ]


def test_a_rule_that_selects_nobody_is_a_warning_at_its_match():
    section = rules(("{users: [carol], groups: [Sales]}", f"{{{ONLINE}: true}}"))
    assert resolved_warnings(section) == [
        "policy.yml:6:18: warning: rule 1 matches no user in tenant 'acme'"
    ]


def test_a_rule_selecting_nobody_warns_once_when_its_group_is_empty():
    section = rules(("{groups: [Accounting]}", f"{{{ONLINE}: true}}"))
    assert len(resolved_warnings(section)) == 1


def test_each_rule_counts_the_users_it_selects():
    section = rules(
        ("{groups: [Support]}", f"{{{ONLINE}: true}}"),
        ("{users: ['*@acme.com']}", f"{{{ONLINE}: false}}"),
        defaults=f"{{{IN_EXT}: false}}",
    )
    desired = resolve(policy(tenant_policy(section)), inventory())
    counts = [(s.origin, s.match, s.users) for s in desired.tenants[0].selections]
    assert counts == [
        ("defaults", "", 5),
        ("rule 1", "{groups: [Support]}", 2),
        ("rule 2", "{users: [*@acme.com]}", 4),  # alice, bob, Dave, erin
    ]


def test_users_of_another_tenant_are_never_matched():
    managed = desired_users(rules(("{users: ['*']}", f"{{{ONLINE}: true}}")), tenant="globex")
    assert sorted(managed) == ["frank"]


@pytest.mark.parametrize("ref", ["acme", "ACME Corp", ACME.uuid])
def test_tenants_are_found_by_uuid_slug_or_name(ref):
    desired = resolve(policy(tenant_policy("", ref)), inventory())
    assert desired.tenants[0].tenant == ACME


def resolved_groups(section: str) -> dict[str, dict]:
    desired = resolve(policy(tenant_policy(section)), inventory())
    return {g.label: settings for g, settings in desired.tenants[0].groups}


def test_group_items_by_label_override_defaults():
    groups = resolved_groups(
        "    groups:\n"
        "      defaults: {dtmf_record_toggle: false}\n"
        "      items: {Sales: {dtmf_record_toggle: true}}\n"
    )
    assert groups == {
        "Sales": {"dtmf_record_toggle": (True, "items")},
        "Support": {"dtmf_record_toggle": (False, "defaults")},
        "Accounting": {"dtmf_record_toggle": (False, "defaults")},
    }


def test_groups_not_listed_and_without_defaults_are_not_managed():
    groups = resolved_groups("    groups:\n      items: {Sales: {dtmf_record_toggle: true}}\n")
    assert list(groups) == ["Sales"]


def test_group_items_may_name_a_group_by_uuid():
    groups = resolved_groups(
        "    groups:\n"
        "      items: {'11111111-0000-4000-8000-000000000103': {dtmf_record_toggle: true}}\n"
    )
    assert list(groups) == ["Accounting"]


@pytest.mark.parametrize("key, expected", [("support", 201), ("Sales", 202)])
def test_queue_items_by_name_or_label(key, expected):
    section = f"    queues:\n      items: {{{key}: {{dtmf_record_toggle: true}}}}\n"
    desired = resolve(policy(tenant_policy(section)), inventory())
    assert [q.id for q, _ in desired.tenants[0].queues] == [expected]


def test_naming_one_group_twice_in_items_is_an_error():
    section = (
        "    groups:\n      items:\n"
        "        Sales: {dtmf_record_toggle: true}\n"
        "        grp-acme-sales: {dtmf_record_toggle: false}\n"
    )
    with pytest.raises(UserError) as caught:
        resolve(policy(tenant_policy(section)), inventory())
    assert caught.value.problems == [
        "policy.yml:7:9: 'grp-acme-sales' names the same object as 'Sales'"
    ]


def test_retention_keeps_only_the_keys_the_policy_sets():
    section = "    retention: {recording_days: 90}\n"
    desired = resolve(policy(tenant_policy(section)), inventory())
    assert desired.tenants[0].retention == {"recording_days": (90, "retention")}


def test_tenant_filter_keeps_one_tenant_and_leaves_global_features_out():
    text = (
        "version: 1\nfeatures:\n  callrecord: {enabled: true}\n"
        "tenants:\n  - tenant: acme\n  - tenant: globex\n"
    )
    desired = resolve(policy(text), inventory(), tenant="globex")
    assert [t.tenant for t in desired.tenants] == [GLOBEX]
    assert desired.callrecord is None


def test_tenant_filter_on_a_tenant_not_in_the_policy_is_an_error():
    with pytest.raises(UserError) as caught:
        resolve(policy(tenant_policy("")), inventory(), tenant="globex")
    assert str(caught.value) == "tenant 'globex' is not in the policy policy.yml"


def test_features_resolve_against_the_stack():
    text = (
        "version: 1\nfeatures:\n"
        "  callrecord: {enabled: true, exten: '*27'}\n"
        "  togglerecord: {exten: '*4'}\n"
    )
    desired = resolve(policy(text), inventory())
    assert desired.callrecord == {
        "enabled": (True, "features.callrecord"),
        "exten": ("*27", "features.callrecord"),
    }
    assert desired.togglerecord == ("*4", "features.togglerecord")
