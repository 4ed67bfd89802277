"""auth and calld through the client layer (docs/wazo-api.md (auth), docs/wazo-api.md (calld))."""

from __future__ import annotations

import pytest

from tests.support import connect
from wazo_rec_tools.sandbox import Sandbox
from wazo_rec_tools.wazo.http import ApiError


def test_master_token_sees_every_tenant(wazo):
    slugs = {t["slug"] for t in wazo.tenants()}
    assert {"acme", "globex"} <= slugs
    assert wazo.is_master_token()


def test_tenant_is_resolved_by_uuid_slug_or_name(wazo):
    acme = wazo.resolve_tenant("acme")
    assert wazo.resolve_tenant(acme["uuid"]) == acme == wazo.resolve_tenant(acme["name"])


def test_unknown_tenant_is_a_clear_error(wazo):
    with pytest.raises(Exception, match="tenant 'nope' not found"):
        wazo.resolve_tenant("nope")


def test_second_offline_login_returns_the_same_refresh_token(wazo):
    kwargs = dict(username=Sandbox.ADMIN_USERNAME, password=Sandbox.ADMIN_PASSWORD, client_id="c1")
    assert wazo.auth.create_refresh_token(**kwargs) == wazo.auth.create_refresh_token(**kwargs)


def test_revoked_token_no_longer_works(sandbox):
    wazo = connect(sandbox)
    wazo.tokens.get()
    wazo.tokens.renewable = False
    wazo.tokens.revoke()
    wazo.tokens._token = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ApiError) as info:
        wazo.tenants()
    assert info.value.status == 401


def test_scopes_check_answers_a_dict(sandbox):
    with connect(sandbox, "admin-acme") as tenant_admin:
        scopes = tenant_admin.check_scopes(["confd.users.read", "call-logd.exports.x.read"])
    assert scopes == {"confd.users.read": True, "call-logd.exports.x.read": True}


def test_service_account_setup_calls(wazo):
    user = wazo.auth.create_user(username="svc", password="pw-long-enough", purpose="external_api")
    policy = wazo.auth.create_policy(name="p", acl=["call-logd.exports.*.read"])
    wazo.auth.attach_policy(user["uuid"], policy["uuid"])
    assert [p["uuid"] for p in wazo.auth.user_policies(user["uuid"])] == [policy["uuid"]]
    assert wazo.auth.find_user("svc")["uuid"] == user["uuid"]
    assert wazo.auth.find_policy("p")["uuid"] == policy["uuid"]
    with pytest.raises(ApiError) as info:
        wazo.auth.create_user(username="svc", password="x", purpose="external_api")
    assert info.value.status == 409


def test_calls_list_and_record_toggle(sandbox, wazo):
    calls = wazo.calld.calls(recurse=True)
    allowed = next(
        c
        for c in calls
        if c["record_state"] == "inactive"
        and sandbox.store.calld.calls[c["call_id"]]["toggle_allowed"]
    )
    tenant = sandbox.store.calld.calls[allowed["call_id"]]["tenant_uuid"]
    wazo.calld.record(allowed["call_id"], "start", tenant=tenant)
    assert wazo.calld.get_call(allowed["call_id"], tenant=tenant)["record_state"] == "active"
    wazo.calld.record(allowed["call_id"], "pause", tenant=tenant)
    assert wazo.calld.get_call(allowed["call_id"], tenant=tenant)["record_state"] == "paused"


def test_record_without_toggle_permission_is_403(sandbox, wazo):
    calls = wazo.calld.calls(recurse=True)
    denied = next(
        c
        for c in calls
        if not sandbox.store.calld.calls[c["call_id"]]["toggle_allowed"]
        and c["record_state"] == "inactive"
    )
    tenant = sandbox.store.calld.calls[denied["call_id"]]["tenant_uuid"]
    with pytest.raises(ApiError) as info:
        wazo.calld.record(denied["call_id"], "start", tenant=tenant)
    assert info.value.status == 403 and info.value.error_id == "recording-unauthorized"


def test_record_on_another_tenants_call_is_404(sandbox, wazo):
    call = wazo.calld.calls(recurse=True)[0]
    with pytest.raises(ApiError) as info:
        wazo.calld.record(
            call["call_id"], "stop"
        )  # master tenant: no recursion (docs/wazo-api.md, calld §1)
    assert info.value.status == 404 and info.value.error_id == "no-such-call"
