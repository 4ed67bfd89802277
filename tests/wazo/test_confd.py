"""confd through the client layer: the quirks of docs/wazo-api.md (confd), one test each."""

from __future__ import annotations

import pytest

from tests.support import connect
from wazo_rec_tools.wazo.http import ApiError

USERS = r"/api/confd/1\.1/users"


def test_users_list_is_paged_and_carries_recording_fields(sandbox, wazo):
    users = list(wazo.confd.users(recurse=True, page_size=7))
    assert len(users) == sandbox.store.confd.users.__len__()
    assert "call_record_incoming_external_enabled" in users[0]
    pages = sandbox.log.find(method="GET", path=USERS)
    assert len(pages) == -(-len(users) // 7) + (len(users) % 7 == 0)
    assert all(p.params["limit"] == "7" for p in pages)


def test_users_list_without_recurse_is_the_tenant_only(wazo):
    acme = wazo.resolve_tenant("acme")
    users = list(wazo.confd.users(tenant=acme["uuid"]))
    assert users and {u["tenant_uuid"] for u in users} == {acme["uuid"]}


def test_user_put_is_partial(sandbox, wazo):
    user = next(wazo.confd.users(recurse=True))
    before = wazo.confd.get_user(user["uuid"])
    wazo.confd.update_user(
        user["uuid"], {"online_call_record_enabled": not before["online_call_record_enabled"]}
    )
    after = wazo.confd.get_user(user["uuid"])
    assert after["online_call_record_enabled"] is not before["online_call_record_enabled"]
    for field in ("call_record_outgoing_internal_enabled", "firstname", "email"):
        assert after[field] == before[field]


def test_user_get_by_int_id_and_by_uuid(wazo):
    user = next(wazo.confd.users(recurse=True))
    assert wazo.confd.get_user(user["id"])["uuid"] == wazo.confd.get_user(user["uuid"])["uuid"]


def test_user_put_with_call_record_enabled_and_a_real_flag_is_rejected(wazo):
    user = next(wazo.confd.users(recurse=True))
    body = {"call_record_enabled": True, "call_record_outgoing_internal_enabled": True}
    with pytest.raises(ApiError) as info:
        wazo.confd.http.request("PUT", f"/users/{user['uuid']}", json=body)
    assert info.value.status == 400
    assert "'call_record_enabled' is deprecated and incompatible" in info.value.message


def test_client_refuses_to_send_call_record_enabled(sandbox, wazo):
    user = next(wazo.confd.users(recurse=True))
    with pytest.raises(ValueError):
        wazo.confd.update_user(user["uuid"], {"call_record_enabled": True})
    assert not sandbox.log.find(method="PUT")


def test_user_put_booleans_are_strict(wazo):
    user = next(wazo.confd.users(recurse=True))
    for bad in ("true", 1, None):
        with pytest.raises(ApiError) as info:
            wazo.confd.update_user(user["uuid"], {"online_call_record_enabled": bad})
        assert info.value.status == 400


def test_unknown_user_is_a_404_with_confd_message(wazo):
    with pytest.raises(ApiError) as info:
        wazo.confd.get_user("00000000-0000-4000-8000-000000000000")
    assert info.value.status == 404
    assert info.value.message.startswith("Resource Not Found - User was not found")


def _group_with_ignore_forward(wazo) -> dict:
    return next(g for g in wazo.confd.groups(recurse=True) if g["ignore_forward"])


def test_group_put_without_ignore_forward_resets_it(wazo):
    group = _group_with_ignore_forward(wazo)
    wazo.confd.http.request("PUT", f"/groups/{group['uuid']}", json={"dtmf_record_toggle": True})
    assert wazo.confd.get_group(group["uuid"])["ignore_forward"] is False


def test_group_put_always_carries_ignore_forward(sandbox, wazo):
    group = _group_with_ignore_forward(wazo)
    with pytest.raises(ValueError):
        wazo.confd.update_group(group["uuid"], {"dtmf_record_toggle": True})
    wazo.confd.update_group(group["uuid"], {"dtmf_record_toggle": True, "ignore_forward": True})
    after = wazo.confd.get_group(group["uuid"])
    assert after["ignore_forward"] is True and after["dtmf_record_toggle"] is True


def test_queues_are_addressed_by_int_id_only(wazo):
    queue = next(wazo.confd.queues(recurse=True))
    assert wazo.confd.get_queue(queue["id"])["id"] == queue["id"]
    wazo.confd.update_queue(queue["id"], {"dtmf_record_toggle": True})
    assert wazo.confd.get_queue(queue["id"])["dtmf_record_toggle"] is True
    with pytest.raises(ApiError) as info:
        wazo.confd.http.get_json("/queues/5d2f7e0c-0000-4000-8000-000000000000")
    assert info.value.status == 404


def test_extension_features_filter_by_feature(wazo):
    (callrecord,) = wazo.confd.extension_features(feature="callrecord")
    assert callrecord["exten"] == "*26" and callrecord["enabled"] is False
    assert len(wazo.confd.extension_features()) > 10


def test_extension_feature_put_by_uuid(wazo):
    (callrecord,) = wazo.confd.extension_features(feature="callrecord")
    wazo.confd.update_extension_feature(callrecord["uuid"], {"enabled": True})
    (after,) = wazo.confd.extension_features(feature="callrecord")
    assert after["enabled"] is True and after["exten"] == "*26"


def test_global_features_need_a_master_tenant_token(sandbox):
    with connect(sandbox, "admin-acme") as tenant_admin:
        with pytest.raises(ApiError) as info:
            tenant_admin.confd.extension_features(feature="callrecord")
        assert info.value.status == 401
        with pytest.raises(ApiError):
            tenant_admin.confd.applicationmap()
        assert tenant_admin.is_master_token() is False


def test_applicationmap_put_is_a_full_replacement(wazo):
    options = wazo.confd.applicationmap()
    assert options["togglerecord"].startswith("*3,self,")
    wazo.confd.put_applicationmap({**options, "extra": "*5,self,Noop()"})
    wazo.confd.put_applicationmap(options)
    assert wazo.confd.applicationmap() == options  # `extra` is gone: nothing is merged


def test_applicationmap_without_togglerecord_is_refused(wazo):
    with pytest.raises(ValueError):
        wazo.confd.put_applicationmap({"other": "x"})
    with pytest.raises(ApiError) as info:
        wazo.confd.http.request(
            "PUT", "/asterisk/features/applicationmap", json={"options": {"other": "x"}}
        )
    assert info.value.status == 400


def test_every_put_is_an_asterisk_reload_even_a_no_op(sandbox, wazo):
    user = next(wazo.confd.users(recurse=True))
    before = len(sandbox.store.confd.events)
    wazo.confd.update_user(user["uuid"], {})
    assert len(sandbox.store.confd.events) == before + 1
