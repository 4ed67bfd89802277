"""apply's verification: the changed objects are read again, and nothing else is."""

from __future__ import annotations

from tests.support import connect
from wazo_rec_tools.policy.apply import apply_plan, refreshed
from wazo_rec_tools.policy.load import load_policy_text
from wazo_rec_tools.policy.plan import build_plan
from wazo_rec_tools.policy.read import policy_scope, read_inventory, visible_tenants
from wazo_rec_tools.policy.resolve import resolve
from wazo_rec_tools.sandbox import Sandbox

ONLINE = "online_call_record_enabled"
USERS = r"/confd/1\.1/users$"


def acme_users(sb: Sandbox) -> list[dict]:
    acme = sb.store.tenant("acme")["uuid"]
    users = [u for u in sb.store.confd.users.values() if u["tenant_uuid"] == acme]
    return sorted(users, key=lambda u: u["username"])


def after_first_put(sb: Sandbox) -> list:
    log = list(sb.log)
    first = next(i for i, r in enumerate(log) if r.method == "PUT")
    return log[first:]


def online_for(*usernames: str) -> str:
    return (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      rules:\n"
        f"        - match: {{users: [{', '.join(usernames)}]}}\n"
        f"          set: {{{ONLINE}: true}}\n"
    )


def test_apply_verifies_by_reading_only_the_changed_users(stack, run_cli, write_policy):
    changed = acme_users(stack)[:3]
    write_policy(online_for(*(u["username"] for u in changed)))
    result = run_cli("apply", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Verified: the stack now matches the policy." in result.stdout
    reads = [r for r in after_first_put(stack) if r.method == "GET" and r.service == "confd"]
    [verify] = reads
    assert verify.path.endswith("/users") and "limit" not in verify.params
    assert sorted(verify.params["uuid"].split(",")) == sorted(u["uuid"] for u in changed)
    assert verify.tenant == stack.store.tenant("acme")["uuid"]


def test_apply_verifies_groups_and_queues_by_their_id_filter(stack, run_cli, write_policy):
    write_policy(
        "version: 1\ntenants:\n  - tenant: acme\n"
        "    groups: {items: {Sales: {dtmf_record_toggle: true}}}\n"
        "    queues: {items: {support: {dtmf_record_toggle: true}}}\n"
    )
    result = run_cli("apply", "--yes")
    assert result.exit_code == 0, result.stderr
    reads = [r for r in after_first_put(stack) if r.method == "GET" and r.service == "confd"]
    acme = stack.store.tenant("acme")["uuid"]
    sales = next(
        g
        for g in stack.store.confd.groups.values()
        if g["label"] == "Sales" and g["tenant_uuid"] == acme
    )
    support = next(
        q
        for q in stack.store.confd.queues.values()
        if q["name"] == "support" and q["tenant_uuid"] == acme
    )
    assert sorted((r.path.rsplit("/", 1)[1], r.params.get("id")) for r in reads) == [
        ("groups", str(sales["id"])),
        ("queues", str(support["id"])),
    ]


def test_verification_catches_a_put_that_did_not_stick(stack, run_cli, write_policy):
    [user] = acme_users(stack)[:1]
    write_policy(online_for(user["username"]))
    # the server says 204 but never runs the update
    stack.faults.add(status=204, method="PUT", path=r"/users/", count=1)
    result = run_cli("apply", "--yes")
    assert result.exit_code == 1
    assert "Applied: 1 changed, 0 failed." in result.stdout
    assert "Re-read: 1 object still differ from the policy:" in result.stdout
    assert user["username"] in result.stdout.split("Re-read:")[1]


def test_refreshed_keeps_unchanged_objects_and_drops_users_gone_meanwhile(stack):
    loaded = load_policy_text(
        "version: 1\ntenants:\n  - tenant: acme\n    users: {defaults: {" + ONLINE + ": true}}\n"
    )
    with connect(stack) as wazo:
        tenants = visible_tenants(wazo)
        inventory = read_inventory(wazo, policy_scope(wazo, loaded, tenants), tenants)
        plan = build_plan(resolve(loaded, inventory))
        changes = [c for c in plan.changes if c.kind == "user"][:2]
        apply_plan(wazo, plan, concurrency=2)
        gone = stack.store.confd.user(str(changes[1].object_id))
        with stack.store.lock:
            del stack.store.confd.users[gone["id"]]
            del stack.store.confd.user_ids_by_uuid[gone["uuid"]]
            stack.store.confd.changed()
        after = refreshed(wazo, inventory, changes)
    by_uuid = {u.uuid: u for u in after.users}
    assert gone["uuid"] not in by_uuid
    assert by_uuid[str(changes[0].object_id)].online_call_record_enabled is True
    untouched = [u for u in inventory.users if u.uuid not in {str(c.object_id) for c in changes}]
    assert all(by_uuid[u.uuid] is u for u in untouched)
    assert len(after.users) == len(inventory.users) - 1


def test_apply_verifies_features_and_retention_without_reading_any_list(
    stack, run_cli, write_policy
):
    write_policy(
        "version: 1\nfeatures:\n  callrecord: {enabled: true}\n  togglerecord: {exten: '*4'}\n"
        "tenants:\n  - tenant: acme\n    retention: {recording_days: 30}\n"
    )
    result = run_cli("apply", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Verified: the stack now matches the policy." in result.stdout
    reads = [r for r in after_first_put(stack) if r.method == "GET"]
    assert sorted(r.path for r in reads) == [
        "/api/call-logd/1.0/retention",
        "/api/confd/1.1/asterisk/features/applicationmap",
        "/api/confd/1.1/extensions/features",
    ]
