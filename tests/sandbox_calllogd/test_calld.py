"""Live calls and recording control of the emulated calld."""

from __future__ import annotations

from calllogd_sandbox import CALLD, mint_token

from wazo_rec_tools.sandbox import Sandbox


def user_call(sb: Sandbox, slug: str = "acme", **state) -> dict:
    """A user channel of the tenant, its recording flags set to `state`."""
    tenant = sb.store.tenant(slug)["uuid"]
    call = next(
        call
        for call in sb.store.calld.calls.values()
        if call["tenant_uuid"] == tenant and call["user_uuid"]
    )
    call.update(
        {
            "toggle_allowed": True,
            "auto_recorded": False,
            "record_active": False,
            "paused": False,
            "recording_uuid": None,
            **state,
        }
    )
    return call


def record(api, token, call, action, tenant=None):
    path = f"{CALLD}/calls/{call['call_id']}/record/{action}"
    return api.call("PUT", path, token, tenant=tenant)


def record_state(api, token, call) -> str:
    return api.call("GET", f"{CALLD}/calls/{call['call_id']}", token).json()["record_state"]


def test_seed_gives_each_tenant_two_channels_per_call(sb):
    tenants = [call["tenant_uuid"] for call in sb.store.calld.calls.values()]
    assert tenants.count(sb.store.tenant("acme")["uuid"]) == 2 * 4


def test_seed_call_ids_are_asterisk_channel_ids(sb):
    for call_id in sb.store.calld.calls:
        seconds, sequence = call_id.split(".")
        assert seconds.isdigit() and sequence.isdigit()


def test_seed_toggle_follows_the_user_or_the_group_or_queue_reached(sb):
    users = {user["uuid"]: user for user in sb.store.confd.users.values()}
    for call in sb.store.calld.calls.values():
        via = call["via"]
        if via["type"] == "group":
            expected = sb.store.confd.groups[via["id"]]["dtmf_record_toggle"]
        elif via["type"] == "queue":
            expected = sb.store.confd.queues[via["id"]]["dtmf_record_toggle"]
        elif call["user_uuid"]:
            expected = users[call["user_uuid"]]["online_call_record_enabled"]
        else:
            expected = False
        assert call["toggle_allowed"] == expected


def test_calls_list_only_the_tenant_calls(sb, api, acme):
    items = api.call("GET", f"{CALLD}/calls", acme).json()["items"]
    assert items
    assert {sb.store.calld.calls[item["call_id"]]["tenant_uuid"] for item in items} == {
        api.tenant("acme")
    }


def test_calls_recurse_is_honoured_only_for_the_master_tenant(sb, api, root):
    master = api.call("GET", f"{CALLD}/calls", root, params={"recurse": "true"}).json()
    params = {"recurse": "true"}
    sub = api.call("GET", f"{CALLD}/calls", mint_token(sb, "acme"), params=params).json()
    assert len(master["items"]) == len(sb.store.calld.calls)
    assert len(sub["items"]) == 2 * 4


def test_call_of_another_tenant_is_404_no_such_call(sb, api, acme):
    call = user_call(sb, "globex")
    response = api.call("GET", f"{CALLD}/calls/{call['call_id']}", acme)
    assert response.status_code == 404
    assert response.json()["error_id"] == "no-such-call"


def test_record_start_is_204_empty_and_makes_the_call_active(sb, api, acme):
    call = user_call(sb)
    response = record(api, acme, call, "start")
    assert response.status_code == 204
    assert response.content == b""
    assert record_state(api, acme, call) == "active"


def test_record_on_another_tenant_call_is_404_before_the_toggle_check(sb, api, acme):
    call = user_call(sb, "globex", toggle_allowed=False)
    response = record(api, acme, call, "start")
    assert response.status_code == 404
    assert response.json()["details"] == {"call_id": call["call_id"]}


def test_record_from_a_parent_tenant_needs_the_call_tenant_header(sb, api, root):
    call = user_call(sb)
    assert record(api, root, call, "start").status_code == 404
    assert record(api, root, call, "start", tenant="acme").status_code == 204


def test_record_start_without_toggle_is_403_recording_unauthorized(sb, api, acme):
    call = user_call(sb, toggle_allowed=False)
    response = record(api, acme, call, "start")
    assert response.status_code == 403
    assert response.json()["error_id"] == "recording-unauthorized"


def test_record_start_on_auto_recorded_call_skips_the_toggle_check(sb, api, acme):
    call = user_call(sb, toggle_allowed=False, auto_recorded=True)
    assert record(api, acme, call, "start").status_code == 204


def test_record_stop_checks_the_toggle_even_on_auto_recorded_call(sb, api, acme):
    call = user_call(sb, toggle_allowed=False, auto_recorded=True, record_active=True)
    assert record(api, acme, call, "stop").status_code == 403
    assert record_state(api, acme, call) == "active"


def test_record_start_when_active_keeps_the_same_recording(sb, api, acme):
    call = user_call(sb)
    record(api, acme, call, "start")
    first = call["recording_uuid"]
    assert record(api, acme, call, "start").status_code == 204
    assert call["recording_uuid"] == first


def test_record_stop_when_inactive_is_a_204_no_op(sb, api, acme):
    call = user_call(sb)
    assert record(api, acme, call, "stop").status_code == 204
    assert record_state(api, acme, call) == "inactive"


def test_record_pause_when_inactive_is_400_recording_not_started(sb, api, acme):
    call = user_call(sb)
    response = record(api, acme, call, "pause")
    assert response.status_code == 400
    assert response.json()["error_id"] == "recording-not-started"


def test_record_resume_when_inactive_is_400_recording_not_started(sb, api, acme):
    call = user_call(sb)
    assert record(api, acme, call, "resume").status_code == 400


def test_record_pause_without_toggle_is_403_before_the_state_check(sb, api, acme):
    call = user_call(sb, toggle_allowed=False)
    assert record(api, acme, call, "pause").status_code == 403


def test_record_pause_then_resume_keeps_the_recording(sb, api, acme):
    call = user_call(sb)
    record(api, acme, call, "start")
    recording_uuid = call["recording_uuid"]
    record(api, acme, call, "pause")
    paused = record_state(api, acme, call)
    assert record(api, acme, call, "pause").status_code == 204
    record(api, acme, call, "resume")
    assert paused == "paused"
    assert record_state(api, acme, call) == "active"
    assert call["recording_uuids"] == [recording_uuid]


def test_record_resume_when_not_paused_is_a_204_no_op(sb, api, acme):
    call = user_call(sb)
    record(api, acme, call, "start")
    assert record(api, acme, call, "resume").status_code == 204
    assert record_state(api, acme, call) == "active"


def test_record_start_after_stop_adds_a_recording_to_the_linked_cdr(sb, api, acme):
    call = user_call(sb)
    cdr = next(
        c for c in sb.store.calllogd.cdrs.values() if c["tenant_uuid"] == call["tenant_uuid"]
    )
    call["cdr_id"] = cdr["id"]
    before = len(cdr["recordings"])
    record(api, acme, call, "start")
    record(api, acme, call, "stop")
    record(api, acme, call, "start")
    added = cdr["recordings"][before:]
    assert [recording["uuid"] for recording in added] == call["recording_uuids"]
    assert len(added) == 2
    assert added[0]["end_time"] is not None


def test_record_acl_uses_the_call_id_with_dots_as_underscores(sb, api):
    call = user_call(sb)
    escaped = call["call_id"].replace(".", "_")
    allowed = mint_token(sb, "acme", [f"calld.calls.{escaped}.record.start.update"])
    dotted = mint_token(sb, "acme", [f"calld.calls.{call['call_id']}.record.start.update"])
    assert record(api, dotted, call, "start").status_code == 401
    assert record(api, allowed, call, "start").status_code == 204


def test_my_record_on_another_user_call_is_403_user_permission_denied(sb, api):
    call = user_call(sb)
    token = mint_token(sb, "acme", ["#"], pbx_user_uuid="00000000-0000-4000-8000-000000000001")
    path = f"{CALLD}/users/me/calls/{call['call_id']}/record/start"
    response = api.call("PUT", path, token)
    assert response.status_code == 403
    assert response.json()["error_id"] == "user-permission-denied"


def test_my_record_on_my_call_is_204(sb, api):
    call = user_call(sb)
    token = mint_token(sb, "acme", ["#"], pbx_user_uuid=call["user_uuid"])
    path = f"{CALLD}/users/me/calls/{call['call_id']}/record/start"
    assert api.call("PUT", path, token).status_code == 204


def test_calld_status_is_ok(api, acme):
    assert api.call("GET", f"{CALLD}/status", acme).json()["ari"] == {"status": "ok"}
