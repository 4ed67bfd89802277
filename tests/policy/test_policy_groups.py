"""Group rules against the sandbox, whose users' nested groups carry no label (as on a real
stack): membership comes from the groups' `members.users`."""

from __future__ import annotations

import pytest

from wazo_rec_tools.policy.inventory import Group, User
from wazo_rec_tools.policy.model import USER_FIELDS
from wazo_rec_tools.sandbox import Sandbox

ONLINE = "online_call_record_enabled"


def group(sb: Sandbox, slug: str, label: str) -> dict:
    tenant = sb.store.tenant(slug)["uuid"]
    return next(
        g
        for g in sb.store.confd.groups.values()
        if g["tenant_uuid"] == tenant and g["label"] == label
    )


def member_uuids(g: dict) -> set[str]:
    return {m["uuid"] for m in g["members"]["users"]}


def put_users(sb: Sandbox) -> set[str]:
    paths = [r.path for r in sb.log if r.method == "PUT" and "/users/" in r.path]
    return {p.rsplit("/", 1)[1] for p in paths}


def group_rule(*refs: str, field: str = ONLINE) -> str:
    return (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      rules:\n"
        f"        - match: {{groups: [{', '.join(refs)}]}}\n          set: {{{field}: true}}\n"
    )


# as confd answers (conformance corpus `confd-user-nested-groups`, `confd-groups-list`)
REAL_USER = {
    "id": 7,
    "uuid": "u-7",
    "tenant_uuid": "t-1",
    "username": "alice",
    "email": None,
    "firstname": "Alice",
    "lastname": "Doe",
    "groups": [
        {"uuid": "g-1", "id": 1, "name": "grp-acme-g-1", "links": [{"rel": "groups", "href": "…"}]}
    ],
    **dict.fromkeys(USER_FIELDS, False),
}
REAL_GROUP = {
    "id": 1,
    "uuid": "g-1",
    "tenant_uuid": "t-1",
    "name": "grp-acme-g-1",
    "label": "Sales",
    "dtmf_record_toggle": False,
    "ignore_forward": True,
    "members": {
        "users": [
            {"uuid": "u-7", "firstname": "Alice", "lastname": "Doe", "priority": 0, "links": []},
            {"uuid": "u-9", "firstname": "Bob", "lastname": "Roe", "priority": 1, "links": []},
        ],
        "extensions": [],
    },
}


def test_membership_is_read_from_the_groups_members():
    assert Group.from_confd(REAL_GROUP).members == ("u-7", "u-9")
    assert Group.from_confd({**REAL_GROUP, "members": {"users": []}}).members == ()
    assert not hasattr(User.from_confd(REAL_USER), "groups")  # nested groups have no label


def test_a_group_rule_selects_exactly_the_groups_members(stack, run_cli, write_policy):
    sales = group(stack, "acme", "Sales")
    assert len(member_uuids(sales)) >= 2
    write_policy(group_rule("Sales"))
    plan = run_cli("plan", "--output", "json")
    assert plan.exit_code == 0, plan.stderr
    result = run_cli("apply", "--yes", "--force")
    assert result.exit_code == 0, result.stderr
    assert put_users(stack) == member_uuids(sales)
    assert "Verified: the stack now matches the policy." in result.stdout
    for user in stack.store.confd.users.values():
        assert user[ONLINE] is (user["uuid"] in member_uuids(sales))


def test_a_group_rule_follows_membership_changes_made_on_the_groups_side(
    stack, run_cli, write_policy
):
    """Only the group lists its members: a user's nested groups are not read."""
    sales = group(stack, "acme", "Sales")
    outsider = next(
        u
        for u in stack.store.confd.users.values()
        if u["tenant_uuid"] == sales["tenant_uuid"] and u["uuid"] not in member_uuids(sales)
    )
    with stack.store.lock:
        sales["members"]["users"].append(
            {"uuid": outsider["uuid"], "firstname": "x", "lastname": "y", "priority": 99}
        )
    write_policy(group_rule("Sales"))
    assert run_cli("apply", "--yes", "--force").exit_code == 0
    assert outsider["uuid"] in put_users(stack)


@pytest.mark.parametrize("key", ["uuid", "name"])
def test_a_group_rule_by_uuid_or_name(stack, run_cli, write_policy, key):
    support = group(stack, "acme", "Support")
    write_policy(group_rule(support[key]))
    assert run_cli("apply", "--yes", "--force").exit_code == 0
    assert put_users(stack) == member_uuids(support)


def test_explain_names_the_group_rule_of_a_member(stack, run_cli, write_policy):
    sales = group(stack, "acme", "Sales")
    member = stack.store.confd.user(sales["members"]["users"][0]["uuid"])
    path = write_policy(group_rule("Sales"))
    result = run_cli("explain", member["uuid"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == f"matched by: rule 1 {{groups: [Sales]}} ({path}:6:11)"
    assert f"{ONLINE}             false    true     rule 1  (will change)" in result.stdout


def test_dump_writes_a_group_rule_and_plans_empty(stack, run_cli, tmp_path):
    sales = group(stack, "acme", "Sales")
    with stack.store.lock:
        for uuid in member_uuids(sales):
            stack.store.confd.user(uuid)[ONLINE] = True
    out = tmp_path / "adopted.yml"
    result = run_cli("dump", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "    - match: {groups: [Sales]}\n      set: {online_call_record_enabled: true}\n" in text
    assert "match: {users:" not in text.split("- tenant: globex")[0]
    plan = run_cli("plan", "--policy", str(out), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout
    assert plan.stdout.startswith("No changes")


def test_validate_online_counts_the_users_each_rule_selects(stack, run_cli, write_policy):
    sales = group(stack, "acme", "Sales")
    path = write_policy(
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n"
        f"      defaults: {{{ONLINE}: false}}\n      rules:\n"
        f"        - match: {{groups: [Sales]}}\n          set: {{{ONLINE}: true}}\n"
    )
    acme_users = sum(
        u["tenant_uuid"] == sales["tenant_uuid"] for u in stack.store.confd.users.values()
    )
    result = run_cli("validate", "--online")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        f"tenant acme: defaults selects {acme_users} users ({path}:5:17)",
        f"tenant acme: rule 1 {{groups: [Sales]}} selects {len(member_uuids(sales))} users "
        f"({path}:7:11)",
    ]


def test_a_group_without_members_is_a_located_warning(stack, run_cli, write_policy):
    accounting = group(stack, "acme", "Accounting")
    with stack.store.lock:
        accounting["members"]["users"] = []
    path = write_policy(group_rule("Accounting"))
    result = run_cli("validate", "--online")
    assert result.exit_code == 0
    assert result.stderr == (
        f"{path}:6:28: warning: group 'Accounting' in tenant 'acme' has no members\n"
    )
    assert "rule 1 {groups: [Accounting]} selects 0 users" in result.stdout
