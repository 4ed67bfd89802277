"""Calls added to a sandbox for the audit tests: CDRs whose category is known beforehand.

They are inserted into the sandbox's call-logd store in a week the seed leaves empty (2025),
next to the seeded history, which they do not change. Each call is drawn with the keys and
types the real call-logd sends (the conformance corpus's CDR items).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from wazo_rec_tools.sandbox import Sandbox
from wazo_rec_tools.sandbox.calllogd.state import recording_filename

WEEK_START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday, long before the seeded weeks
WEEK_END = WEEK_START + timedelta(days=7)


@dataclass(frozen=True)
class Person:
    uuid: str
    username: str
    name: str
    exten: str
    context: str


def person(user: dict[str, Any]) -> Person:
    extension = user["lines"][0]["extensions"][0]
    return Person(
        user["uuid"],
        user["username"],
        f"{user['firstname']} {user['lastname']}",
        extension["exten"],
        extension["context"],
    )


def insert_call(
    sandbox: Sandbox,
    tenant_uuid: str,
    direction: str,
    *,
    start: datetime,
    source: Person | None = None,
    destination: Person | None = None,
    answered: bool = True,
    recordings: tuple[bool, ...] = (),  # one entry per recording: deleted or not
    group: dict[str, Any] | None = None,  # the group the call went through
    queue: dict[str, Any] | None = None,  # the queue the call went through
) -> int:
    """Add one CDR to the sandbox; its id."""
    answer = start + timedelta(seconds=4) if answered else None
    end = start + timedelta(minutes=3)
    if group is not None:
        details: dict[str, Any] = {
            "type": "group",
            "group_id": group["id"],
            "group_label": group["label"],
        }
    elif destination is not None:
        details = {"type": "user", "user_uuid": destination.uuid, "user_name": destination.name}
    else:
        details = {"type": "unknown"}
    dialled = queue or group
    dialled_exten = dialled["extensions"][0] if dialled else None
    external = "+14185550199"
    with sandbox.store.lock:
        state = sandbox.store.calllogd
        cdr_id = state.next_cdr_id()
        cdr = {
            "id": cdr_id,
            "tenant_uuid": tenant_uuid,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "answered": answered,
            "answer": answer.isoformat() if answer else None,
            "duration": int((end - answer).total_seconds()) if answer else None,
            "call_direction": direction,
            "call_status": "answered" if answered else "unknown",
            "conversation_id": f"{int(start.timestamp())}.{cdr_id}",
            "destination_details": details,
            "destination_extension": destination.exten if destination else external,
            "destination_internal_context": destination.context if destination else None,
            "destination_internal_extension": destination.exten if destination else None,
            "destination_line_id": None,
            "destination_name": (group or {}).get("label")
            or (destination.name if destination else ""),
            "destination_user_uuid": destination.uuid if destination else None,
            "requested_name": None,
            "requested_context": dialled_exten["context"]
            if dialled_exten and direction == "internal"
            else "from-extern",
            "requested_extension": dialled_exten["exten"]
            if dialled_exten
            else (destination.exten if destination else external),
            # an incall to a queue or group: the internal number it led to
            "requested_internal_context": dialled_exten["context"] if dialled_exten else None,
            "requested_internal_extension": dialled_exten["exten"] if dialled_exten else None,
            "requested_user_uuid": None,
            "source_extension": source.exten if source else external,
            "source_internal_context": source.context if source else None,
            "source_internal_name": source.name if source else None,
            "source_internal_extension": source.exten if source else None,
            "source_line_id": None,
            "source_name": source.name if source else "Jane Roe",
            "source_user_uuid": source.uuid if source else None,
            "tags": [],
            "recordings": [],
        }
        state.cdrs[cdr_id] = cdr
        for n, deleted in enumerate(recordings):
            rec_start = (answer or start) + timedelta(seconds=1 + 30 * n)
            rec_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"audit-{cdr_id}-{n}"))
            state.add_recording(cdr_id, rec_uuid, rec_start, rec_start + timedelta(seconds=20))
            cdr["recordings"][-1]["deleted"] = deleted
            assert cdr["recordings"][-1]["filename"] == recording_filename(
                rec_start, cdr_id, rec_uuid
            )
    return cdr_id
