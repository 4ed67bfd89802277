"""Seed call-logd: a history of CDRs with recordings for every tenant that has users."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .state import recording_filename

if TYPE_CHECKING:
    from ..seed import SeedSpec
    from ..store import Store

_DIRECTIONS = ("internal", "inbound", "outbound")
_DIRECTION_WEIGHTS = (4, 4, 2)
_RECORDING_COUNTS = (0, 1, 2)
_RECORDING_COUNT_WEIGHTS = (3, 6, 1)
_DELETED_SHARE = 0.06
_BLOCKED_SHARE = 0.03
_CALLER_NAMES = ("Jane Roe", "John Smith", "Ada Lovelace", "Grace Hopper", "Alan Turing", "")


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _party(user: dict[str, Any]) -> dict[str, Any]:
    """Name, extension, context and line of a confd user (its first line's first extension)."""
    name = f"{user.get('firstname') or ''} {user.get('lastname') or ''}".strip()
    exten = context = line_id = None
    lines = user.get("lines") or []
    if lines:
        line_id = lines[0].get("id")
        extensions = lines[0].get("extensions") or []
        if extensions:
            exten = extensions[0].get("exten")
            context = extensions[0].get("context")
    return {"uuid": user["uuid"], "name": name, "exten": exten, "context": context, "line": line_id}


def _external_number(rng: random.Random) -> str:
    return f"+1418555{rng.randrange(10_000):04d}"


def _draft_cdr(
    rng: random.Random, tenant_uuid: str, users: list[dict[str, Any]], start: datetime
) -> dict[str, Any]:
    """A CDR without its id (ids follow start order, given once every tenant is drafted)."""
    direction = rng.choices(_DIRECTIONS, _DIRECTION_WEIGHTS)[0]
    if direction == "internal" and len(users) < 2:
        direction = "outbound"
    source_user, destination_user = rng.sample(users, 2) if len(users) > 1 else (users[0],) * 2
    source = _party(source_user)
    destination = _party(destination_user)
    external = {"uuid": None, "name": "", "exten": None, "context": None, "line": None}
    if direction == "inbound":
        number = _external_number(rng)
        source = {**external, "name": rng.choice(_CALLER_NAMES) or number, "exten": number}
    elif direction == "outbound":
        destination = {**external, "name": "", "exten": f"0{rng.randrange(10**9):09d}"}

    via_group = None
    groups = destination_user.get("groups") or []
    if direction == "inbound" and groups and rng.random() < 0.3:
        via_group = rng.choice(groups)

    if direction == "inbound" and rng.random() < _BLOCKED_SHARE:
        status = "blocked"
    elif rng.random() < 0.85:
        status = "answered"
    elif direction == "inbound":
        status = rng.choice(("voicemail", "unknown"))
    else:
        status = "unknown"
    answered = status == "answered"

    ring = timedelta(seconds=rng.randint(2, 25))
    answer = end = None
    duration = None
    recordings: list[dict[str, Any]] = []
    if answered:
        talk = rng.randint(5, 1200)
        answer = start + ring
        end = answer + timedelta(seconds=talk)
        duration = talk
        count = rng.choices(_RECORDING_COUNTS, _RECORDING_COUNT_WEIGHTS)[0]
        spans = [(answer, end)]
        if count == 2:
            # stopped then started again: two files (docs/wazo-api.md, calld §1)
            spans = [
                (answer + timedelta(seconds=1), answer + timedelta(seconds=talk // 3 + 1)),
                (answer + timedelta(seconds=talk // 2 + 1), end),
            ]
        for rec_start, rec_end in spans[:count]:
            recordings.append(
                {
                    "uuid": _uuid4(rng),
                    "start_time": rec_start,
                    "end_time": rec_end,
                    "deleted": rng.random() < _DELETED_SHARE,
                }
            )
    else:
        end = start + ring

    if direction == "outbound":
        details: dict[str, Any] = {"type": "unknown"}
    elif via_group:
        details = {"type": "group", "group_label": via_group["label"], "group_id": via_group["id"]}
    elif status == "voicemail":
        details = {"type": "voicemail"}
    else:
        details = {
            "type": "user",
            "user_uuid": destination["uuid"],
            "user_name": destination["name"],
        }

    internal_destination = direction != "outbound"
    return {
        "tenant_uuid": tenant_uuid,
        "start": start,
        "end": end,
        "answered": answered,
        "answer": answer,
        "duration": duration,
        "call_direction": direction,
        "call_status": status,
        "conversation_id": f"{int(start.timestamp())}.{rng.randrange(1000)}",
        "destination_details": details,
        "destination_extension": destination["exten"],
        "destination_internal_context": destination["context"],
        "destination_internal_extension": destination["exten"] if internal_destination else None,
        "destination_line_id": destination["line"],
        "destination_name": destination["name"],
        "destination_user_uuid": destination["uuid"],
        "requested_name": via_group["label"] if via_group else destination["name"],
        "requested_context": "from-extern" if direction == "inbound" else source["context"],
        "requested_extension": destination["exten"],
        "requested_internal_context": destination["context"],
        "requested_internal_extension": destination["exten"] if internal_destination else None,
        "requested_user_uuid": destination["uuid"],
        "source_extension": source["exten"],
        "source_internal_context": source["context"],
        "source_internal_name": source["name"] if source["uuid"] else None,
        "source_internal_extension": source["exten"] if source["uuid"] else None,
        "source_line_id": source["line"],
        "source_name": source["name"],
        "source_user_uuid": source["uuid"],
        "tags": [],
        "recordings": recordings,
    }


def _finish(draft: dict[str, Any], cdr_id: int) -> dict[str, Any]:
    """Give the draft its id, and its datetimes the ISO form call-logd prints."""
    cdr = {"id": cdr_id, **draft}
    for key in ("start", "end", "answer"):
        if cdr[key] is not None:
            cdr[key] = cdr[key].isoformat()
    cdr["recordings"] = [
        {
            "uuid": recording["uuid"],
            "start_time": recording["start_time"].isoformat(),
            "end_time": recording["end_time"].isoformat(),
            "deleted": recording["deleted"],
            "filename": recording_filename(recording["start_time"], cdr_id, recording["uuid"]),
        }
        for recording in draft["recordings"]
    ]
    return cdr


def seed(store: Store, rng: random.Random, spec: SeedSpec) -> None:
    """`spec.cdrs_per_week` CDRs per tenant with users, for `spec.weeks` weeks before `spec.now`."""
    state = store.calllogd
    state.default_media_size = spec.recording_size
    now = spec.now or datetime.now(UTC)
    users_by_tenant: dict[str, list[dict[str, Any]]] = {}
    for user_id in sorted(store.confd.users):
        user = store.confd.users[user_id]
        users_by_tenant.setdefault(user["tenant_uuid"], []).append(user)

    drafts = []
    for tenant_uuid in store.tenants:
        users = users_by_tenant.get(tenant_uuid)
        if not users:
            continue
        for week in range(spec.weeks):
            window_start = now - timedelta(weeks=week + 1)
            for _ in range(spec.cdrs_per_week):
                offset = timedelta(
                    seconds=rng.randrange(7 * 86400), microseconds=rng.randrange(1_000_000)
                )
                drafts.append(_draft_cdr(rng, tenant_uuid, users, window_start + offset))

    drafts.sort(key=lambda draft: draft["start"])
    first_id = state.next_cdr_id()
    for cdr_id, draft in enumerate(drafts, first_id):
        state.cdrs[cdr_id] = _finish(draft, cdr_id)
