"""calld state: the live channels and their recording flags (docs/wazo-api.md, calld §5)."""

from dataclasses import dataclass, field
from typing import Any

# The `Call` object of GET /calls (docs/wazo-api.md, calld §2), record_state excepted (it is
# derived).
CALL_FIELDS = (
    "call_id",
    "conversation_id",
    "user_uuid",
    "status",
    "talking_to",
    "bridges",
    "creation_time",
    "answer_time",
    "hangup_time",
    "caller_id_name",
    "caller_id_number",
    "peer_caller_id_name",
    "peer_caller_id_number",
    "on_hold",
    "muted",
    "parked",
    "is_caller",
    "is_video",
    "dialed_extension",
    "sip_call_id",
    "line_id",
    "direction",
)


def record_state(call: dict[str, Any]) -> str:
    """docs/wazo-api.md (calld §2): paused wins over active, which wins over inactive."""
    if call["paused"]:
        return "paused"
    if call["record_active"]:
        return "active"
    return "inactive"


def call_view(call: dict[str, Any]) -> dict[str, Any]:
    view = {name: call.get(name) for name in CALL_FIELDS}
    view["talking_to"] = dict(call.get("talking_to") or {})
    view["bridges"] = list(call.get("bridges") or [])
    view["record_state"] = record_state(call)
    return view


@dataclass
class CalldState:
    """Live calls keyed by channel id ("1700000000.12"). Handlers change it under `Store.lock`.

    Each call holds the `Call` fields of docs/wazo-api.md (calld §2) plus:
    tenant_uuid; toggle_allowed (what `_toggle_record_allowed` would say: the user's
    online_call_record_enabled, or the group's/queue's dtmf_record_toggle for a callee reached
    through one); via {"type": "group" | "queue" | None, "id": int | None}; auto_recorded
    (recorded from the start: bypasses the toggle check on start); record_pending
    (WAZO_RECORD_PENDING=1: same bypass); record_active; paused; recording_uuid (the file
    being written); recording_uuids (every recording of the channel, in order); cdr_id (the
    call-logd CDR that receives new recordings, or None).
    """

    calls: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_call(self, call: dict[str, Any]) -> dict[str, Any]:
        defaults = {
            "tenant_uuid": None,
            "user_uuid": None,
            "status": "Up",
            "talking_to": {},
            "bridges": [],
            "answer_time": None,
            "hangup_time": None,
            "on_hold": False,
            "muted": False,
            "parked": False,
            "is_caller": False,
            "is_video": False,
            "dialed_extension": None,
            "sip_call_id": None,
            "line_id": None,
            "direction": "unknown",
            "toggle_allowed": False,
            "via": {"type": None, "id": None},
            "auto_recorded": False,
            "record_pending": False,
            "record_active": False,
            "paused": False,
            "recording_uuid": None,
            "recording_uuids": [],
            "cdr_id": None,
        }
        stored = {**defaults, **call}
        self.calls[stored["call_id"]] = stored
        return stored
