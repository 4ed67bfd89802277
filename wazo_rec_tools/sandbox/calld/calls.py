"""Live calls and their recording control (docs/wazo-api.md, calld §1, §2)."""

import uuid
from collections.abc import Callable
from typing import Any

from ..routing import ApiFault, Request, Response, Router, xivo_error
from .state import call_view

PREFIX = "/api/calld/1.0"
ACTIONS = ("start", "stop", "pause", "resume")
_TRUE = {"t", "true", "on", "y", "yes", "1"}


def _no_such_call(call_id: str) -> ApiFault:
    return xivo_error(404, "no-such-call", "No such call", {"call_id": call_id})


def _find_call(req: Request, call_id: str, tenant_uuid: str) -> dict[str, Any]:
    """docs/wazo-api.md (calld §1) step 1: another tenant's call is 404, with no recursion."""
    call = req.sandbox.store.calld.calls.get(call_id)
    if call is None or call["tenant_uuid"] != tenant_uuid:
        raise _no_such_call(call_id)
    return call


def _tenant(req: Request) -> str:
    return req.tenant_uuid or req.token.tenant_uuid


def _require_toggle(call: dict[str, Any]) -> None:
    if not call["toggle_allowed"]:
        raise xivo_error(
            403,
            "recording-unauthorized",
            "Recording unauthorized",
            {"call_id": call["call_id"]},
        )


def _not_started(call: dict[str, Any]) -> ApiFault:
    return xivo_error(
        400, "recording-not-started", "Recording not started", {"call_id": call["call_id"]}
    )


def _linked_recording(req: Request, call: dict[str, Any]) -> dict[str, Any] | None:
    """The call-logd recording entry of the file being written, when the call has a CDR."""
    cdrs = req.sandbox.store.calllogd.cdrs
    cdr = cdrs.get(call["cdr_id"]) if call["cdr_id"] is not None else None
    if cdr is None:
        return None
    for recording in cdr["recordings"]:
        if recording["uuid"] == call["recording_uuid"]:
            return recording
    return None


def _record_start(req: Request, call: dict[str, Any]) -> None:
    # docs/wazo-api.md (calld §1): an auto-recorded call or WAZO_RECORD_PENDING=1 skips the
    # toggle check
    if not (call["auto_recorded"] or call["record_pending"]):
        _require_toggle(call)
    if call["record_active"]:
        return  # only the "recording started" announcement is replayed
    recording_uuid = str(uuid.uuid4())
    call.update(
        record_active=True, paused=False, record_pending=False, recording_uuid=recording_uuid
    )
    call["recording_uuids"].append(recording_uuid)
    calllogd = req.sandbox.store.calllogd
    if call["cdr_id"] in calllogd.cdrs:
        # docs/wazo-api.md (calld §5): a start after a stop gives the CDR a new recording
        calllogd.add_recording(call["cdr_id"], recording_uuid, req.sandbox.clock(), None)


def _record_stop(req: Request, call: dict[str, Any]) -> None:
    _require_toggle(call)  # docs/wazo-api.md (calld §1): first, even on an auto-recorded call
    if not call["record_active"]:
        return
    recording = _linked_recording(req, call)
    if recording is not None:
        recording["end_time"] = req.sandbox.clock().isoformat()
    call.update(record_active=False, paused=False, recording_uuid=None)


def _record_pause(req: Request, call: dict[str, Any]) -> None:
    _require_toggle(call)
    if not call["record_active"]:
        raise _not_started(call)
    if call["paused"]:
        return
    if not call["tenant_uuid"] or not call["recording_uuid"]:
        raise xivo_error(
            400, "recording-pause-error", "Could not pause recording", {"call_id": call["call_id"]}
        )
    # docs/wazo-api.md (calld §5): while paused the recording stays active, record_state says
    # `paused`
    call["paused"] = True


def _record_resume(req: Request, call: dict[str, Any]) -> None:
    _require_toggle(call)
    if not call["record_active"]:
        raise _not_started(call)
    # resuming appends to the same file: the recording uuid does not change
    call["paused"] = False


_HANDLERS: dict[str, Callable[[Request, dict[str, Any]], None]] = {
    "start": _record_start,
    "stop": _record_stop,
    "pause": _record_pause,
    "resume": _record_resume,
}


def list_calls(req: Request) -> Response:
    tenant = _tenant(req)
    store = req.sandbox.store
    recurse = (req.params.get("recurse") or "").lower() in _TRUE
    with store.lock:
        calls = list(store.calld.calls.values())
        if req.params.get("application"):
            calls = []  # no channel of the sandbox is in a Stasis application
        # docs/wazo-api.md (calld §2): recurse only counts for the master tenant, and then
        # lists everything
        if not (recurse and tenant == store.master_tenant_uuid):
            calls = [call for call in calls if call["tenant_uuid"] == tenant]
        return Response(json={"items": [call_view(call) for call in calls]})


def get_call(req: Request) -> Response:
    with req.sandbox.store.lock:
        call = _find_call(req, req.path_params["call_id"], _tenant(req))
        return Response(json=call_view(call))


def _record_handler(action: str) -> Callable[[Request], Response]:
    def handler(req: Request) -> Response:
        with req.sandbox.store.lock:
            call = _find_call(req, req.path_params["call_id"], _tenant(req))
            _HANDLERS[action](req, call)
        return Response(status=204)

    handler.__name__ = f"record_{action}"
    return handler


def _token_user_uuid(req: Request) -> str:
    user_uuid = req.token.pbx_user_uuid
    if not user_uuid:
        raise xivo_error(
            400, "token-with-user-uuid-required", "A user token is required for this resource"
        )
    return user_uuid


def list_my_calls(req: Request) -> Response:
    user_uuid = _token_user_uuid(req)
    with req.sandbox.store.lock:
        calls = [c for c in req.sandbox.store.calld.calls.values() if c["user_uuid"] == user_uuid]
        return Response(json={"items": [call_view(call) for call in calls]})


def _my_record_handler(action: str) -> Callable[[Request], Response]:
    def handler(req: Request) -> Response:
        user_uuid = _token_user_uuid(req)
        call_id = req.path_params["call_id"]
        with req.sandbox.store.lock:
            call = req.sandbox.store.calld.calls.get(call_id)
            if call is None:
                raise _no_such_call(call_id)
            if call["user_uuid"] != user_uuid:
                raise xivo_error(
                    403,
                    "user-permission-denied",
                    "User does not have permission to handle objects of other users",
                    {"call": call_id, "user": user_uuid},
                )
            _HANDLERS[action](req, call)
        return Response(status=204)

    handler.__name__ = f"my_record_{action}"
    return handler


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/calls", service="calld", acl="calld.calls.read")(list_calls)
    router.route(
        "GET", f"{PREFIX}/calls/{{call_id}}", service="calld", acl="calld.calls.{call_id}.read"
    )(get_call)
    router.route(
        "GET", f"{PREFIX}/users/me/calls", service="calld", acl="calld.users.me.calls.read"
    )(list_my_calls)
    for action in ACTIONS:
        router.route(
            "PUT",
            f"{PREFIX}/calls/{{call_id}}/record/{action}",
            service="calld",
            acl=f"calld.calls.{{call_id}}.record.{action}.update",
        )(_record_handler(action))
        # docs/wazo-api.md (calld §6): the code checks calld.users.me.calls..., not the
        # spec's ACL
        router.route(
            "PUT",
            f"{PREFIX}/users/me/calls/{{call_id}}/record/{action}",
            service="calld",
            acl=f"calld.users.me.calls.{{call_id}}.record.{action}.update",
        )(_my_record_handler(action))
