"""Live calls and their recording in calld (docs/wazo-api.md, calld §1-§3)."""

from __future__ import annotations

from ..errors import UserError
from ..wazo.calld import RECORD_ACTIONS
from ..wazo.http import ApiError
from ..wazo.stack import Wazo

RECORDING_STATES = (
    "active",
    "paused",
)  # docs/wazo-api.md, calld §2: `paused` is real, despite the spec


def list_calls(wazo: Wazo, tenant_uuid: str | None, *, recording_only: bool = False) -> list[dict]:
    """The live calls of a tenant; without one, of every tenant when the token is master's.

    docs/wazo-api.md, calld §2: `recurse` is honoured for the master tenant only.
    """
    if tenant_uuid is not None:
        calls = wazo.calld.calls(tenant=tenant_uuid)
    else:
        calls = wazo.calld.calls(recurse=wazo.is_master_token())
    if recording_only:
        calls = [c for c in calls if c.get("record_state") in RECORDING_STATES]
    return sorted(calls, key=lambda c: (c.get("creation_time") or "", c.get("call_id") or ""))


def find_call_tenant(wazo: Wazo, call_id: str) -> str:
    """The tenant a call belongs to, which calld wants in `Wazo-Tenant` (docs/wazo-api.md, calld §1:
    no recursion). A call does not carry its tenant, so each visible tenant is asked in turn, the
    token's own first; with a master token, one recursive list first says if it exists.
    """
    if wazo.is_master_token():
        everywhere = wazo.calld.calls(recurse=True)
        if not any(c.get("call_id") == call_id for c in everywhere):
            raise UserError(f"no call {call_id} on the stack (it may have ended)")
    own = wazo.token_tenant
    candidates = [own] + [t["uuid"] for t in wazo.tenants() if t["uuid"] != own]
    for tenant_uuid in candidates:
        try:
            wazo.calld.get_call(call_id, tenant=tenant_uuid)
        except ApiError as exc:
            if exc.status == 404:
                continue
            raise
        return tenant_uuid
    raise UserError(
        f"no call {call_id} in any tenant this token can see (it may have ended; or give --tenant)"
    )


def record(wazo: Wazo, call_id: str, action: str, tenant_uuid: str) -> str | None:
    """start, stop, pause or resume the recording; calld's refusals become one clear line.

    Returns None when the command was sent, or the call's record_state when a start found it already
    recorded: docs/wazo-api.md, calld §1 answers 204 and only replays the announcement, so nothing
    is sent and the caller says so rather than "started".
    """
    if action not in RECORD_ACTIONS:
        raise ValueError(f"unknown record action {action!r}")
    try:
        if action == "start":
            state = wazo.calld.get_call(call_id, tenant=tenant_uuid).get("record_state")
            if state in RECORDING_STATES:
                return state
        wazo.calld.record(call_id, action, tenant=tenant_uuid)
    except ApiError as exc:
        raise explain_record_error(exc, call_id, action, tenant_uuid) from None
    return None


def explain_record_error(exc: ApiError, call_id: str, action: str, tenant_uuid: str) -> UserError:
    """docs/wazo-api.md, calld §1, §3: what each refusal means and which setting decides."""
    if exc.error_id == "recording-unauthorized":
        return UserError(
            f"call {call_id}: {action} refused (403 recording-unauthorized): on-demand "
            "recording is off for this call; it is decided by the user's "
            "online_call_record_enabled, or by the group's or queue's dtmf_record_toggle "
            "when the callee was reached through a group or queue"
        )
    if exc.error_id == "no-such-call" or (exc.status == 404 and exc.error_id is None):
        return UserError(
            f"call {call_id}: no such call in tenant {tenant_uuid} (404): it has ended, "
            "or it belongs to another tenant"
        )
    if exc.error_id == "recording-not-started":
        return UserError(
            f"call {call_id}: cannot {action} (400 recording-not-started): the call is not "
            "being recorded; start the recording first"
        )
    if exc.error_id == "recording-pause-error":
        return UserError(
            f"call {call_id}: cannot pause (400 recording-pause-error): the channel lacks its "
            "recording variables (WAZO_TENANT_UUID, WAZO_RECORDING_UUID)"
        )
    return exc
