"""Reading the inventory: per list a probe and one request without limit, never a page."""

from __future__ import annotations

from tests.support import connect
from wazo_rec_tools.policy.load import load_policy_text
from wazo_rec_tools.policy.read import policy_scope, read_inventory, visible_tenants
from wazo_rec_tools.sandbox import Sandbox, SeedSpec

POLICY = """\
version: 1
features:
  callrecord: {enabled: false}
  togglerecord: {exten: "*3"}
tenants:
  - tenant: acme
    users: {defaults: {online_call_record_enabled: false}}
    retention: {export_days: 2}
  - tenant: globex
"""


def test_reading_2500_users_takes_a_probe_one_request_and_a_constant(tmp_path):
    with Sandbox(SeedSpec(users=2500, weeks=0), spool_dir=tmp_path) as sb, connect(sb) as wazo:
        sb.log.clear()
        loaded = load_policy_text(POLICY)
        tenants = visible_tenants(wazo)
        seen: list[str] = []
        scope = policy_scope(wazo, loaded, tenants)
        inventory = read_inventory(wazo, scope, tenants, status=seen.append)
        gets = [(r.path, r.params) for r in sb.log.find(method="GET")]
    assert len(inventory.users) == 2500
    user_reads = [params for path, params in gets if path.endswith("/users")]
    assert user_reads == [{"recurse": "true", "limit": "1"}, {"recurse": "true"}]
    # tenants, groups and queues (probe + read each), *26, applicationmap, retention
    assert len(gets) - len(user_reads) <= 8
    assert seen[0] == "reading 2 500 users from confd…" and seen[-1] == ""


def test_one_tenant_is_read_with_its_own_header_and_without_recurse(sandbox):
    with connect(sandbox) as wazo:
        sandbox.log.clear()
        loaded = load_policy_text("version: 1\ntenants:\n  - tenant: globex\n")
        tenants = visible_tenants(wazo)
        inventory = read_inventory(wazo, policy_scope(wazo, loaded, tenants), tenants)
    globex = sandbox.store.tenant("globex")["uuid"]
    assert {u.tenant_uuid for u in inventory.users} == {globex}
    listed = sandbox.log.find(method="GET", path=r"/users$")
    assert [(r.tenant, r.params) for r in listed] == [
        (globex, {"recurse": "false", "limit": "1"}),
        (globex, {"recurse": "false"}),
    ]
    assert inventory.callrecord is None and inventory.applicationmap is None
