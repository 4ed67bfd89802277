"""Seed calld: a few live calls per tenant between its users and the outside world."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..seed import SeedSpec
    from ..store import Store

_KINDS = ("internal", "inbound", "outbound")
_KIND_WEIGHTS = (5, 3, 2)
_VIA_SHARE = 0.4


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ari_time(moment: datetime) -> str:
    """Asterisk ARI's timestamp form, which calld passes through."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


def _identity(user: dict[str, Any]) -> tuple[str, str | None, int | None]:
    """(caller id name, number, line id) of a confd user."""
    name = f"{user.get('firstname') or ''} {user.get('lastname') or ''}".strip()
    number = line_id = None
    lines = user.get("lines") or []
    if lines:
        line_id = lines[0].get("id")
        extensions = lines[0].get("extensions") or []
        if extensions:
            number = extensions[0].get("exten")
    return name, number, line_id


def _toggle_for(store: Store, user: dict[str, Any], via: dict[str, Any]) -> bool:
    """docs/wazo-api.md (calld §1): a queue or group callee uses that queue's or group's setting."""
    if via["type"] == "group":
        return bool(store.confd.groups.get(via["id"], {}).get("dtmf_record_toggle"))
    if via["type"] == "queue":
        return bool(store.confd.queues.get(via["id"], {}).get("dtmf_record_toggle"))
    return bool(user.get("online_call_record_enabled"))


def _auto_recorded(user: dict[str, Any], is_caller: bool, external: bool) -> bool:
    """Whether the user's own call_record_* flags record this leg from the start."""
    way = "outgoing" if is_caller else "incoming"
    scope = "external" if external else "internal"
    return bool(user.get(f"call_record_{way}_{scope}_enabled"))


class _ChannelIds:
    """Asterisk unique ids: `<epoch>.<sequence>`, the sequence growing across the stack."""

    def __init__(self, start: int) -> None:
        self.sequence = start

    def next(self, moment: datetime) -> str:
        self.sequence += 1
        return f"{int(moment.timestamp())}.{self.sequence}"


def _user_leg(
    store: Store,
    rng: random.Random,
    user: dict[str, Any],
    *,
    is_caller: bool,
    external: bool,
    via: dict[str, Any],
) -> dict[str, Any]:
    name, number, line_id = _identity(user)
    auto = _auto_recorded(user, is_caller, external)
    recording_uuid = _uuid4(rng) if auto else None
    return {
        "user_uuid": user["uuid"],
        "caller_id_name": name,
        "caller_id_number": number,
        "line_id": line_id,
        "is_caller": is_caller,
        "toggle_allowed": _toggle_for(store, user, via),
        "via": via,
        "auto_recorded": auto,
        "record_active": auto,
        "recording_uuid": recording_uuid,
        "recording_uuids": [recording_uuid] if recording_uuid else [],
    }


def _trunk_leg(number: str, is_caller: bool) -> dict[str, Any]:
    # a trunk channel carries no user, hence no toggle permission
    return {
        "user_uuid": None,
        "caller_id_name": number,
        "caller_id_number": number,
        "is_caller": is_caller,
    }


def _seed_call(
    store: Store,
    rng: random.Random,
    ids: _ChannelIds,
    tenant_uuid: str,
    users: list[dict[str, Any]],
    now: datetime,
) -> None:
    kind = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
    if kind == "internal" and len(users) < 2:
        kind = "outbound"
    created = now - timedelta(seconds=rng.randint(5, 1800), milliseconds=rng.randrange(1000))
    answered = created + timedelta(seconds=rng.randint(2, 20))
    no_via = {"type": None, "id": None}
    external_number = f"+1418555{rng.randrange(10_000):04d}"

    if kind == "internal":
        caller_user, callee_user = rng.sample(users, 2)
        caller = _user_leg(store, rng, caller_user, is_caller=True, external=False, via=no_via)
        callee = _user_leg(store, rng, callee_user, is_caller=False, external=False, via=no_via)
        dialed = callee["caller_id_number"]
    elif kind == "inbound":
        callee_user = rng.choice(users)
        via = no_via
        if rng.random() < _VIA_SHARE:
            groups = callee_user.get("groups") or []
            queues = callee_user.get("queues") or []
            options = [("group", g["id"]) for g in groups] + [("queue", q["id"]) for q in queues]
            if options:
                via_type, via_id = rng.choice(options)
                via = {"type": via_type, "id": via_id}
        caller = _trunk_leg(external_number, is_caller=True)
        callee = _user_leg(store, rng, callee_user, is_caller=False, external=True, via=via)
        dialed = f"555{rng.randrange(10_000):04d}"
    else:
        caller_user = rng.choice(users)
        caller = _user_leg(store, rng, caller_user, is_caller=True, external=True, via=no_via)
        callee = _trunk_leg(f"0{rng.randrange(10**9):09d}", is_caller=False)
        dialed = callee["caller_id_number"]

    caller_id = ids.next(created)
    callee_id = ids.next(created)
    bridge = _uuid4(rng)
    for leg, channel_id, peer, peer_id in (
        (caller, caller_id, callee, callee_id),
        (callee, callee_id, caller, caller_id),
    ):
        store.calld.add_call(
            {
                **leg,
                "call_id": channel_id,
                "conversation_id": caller_id,
                "tenant_uuid": tenant_uuid,
                "status": "Up",
                "talking_to": {peer_id: peer["user_uuid"]},
                "bridges": [bridge],
                "creation_time": _ari_time(created),
                "answer_time": _ari_time(answered),
                "peer_caller_id_name": peer["caller_id_name"],
                "peer_caller_id_number": peer["caller_id_number"],
                "dialed_extension": dialed,
                "sip_call_id": f"{rng.getrandbits(64):016x}@sandbox" if leg["user_uuid"] else None,
                "direction": kind,
            }
        )


def seed(store: Store, rng: random.Random, spec: SeedSpec) -> None:
    """`spec.calls` live calls (two channels each) per tenant that has users."""
    now = spec.now or datetime.now(UTC)
    users_by_tenant: dict[str, list[dict[str, Any]]] = {}
    for user_id in sorted(store.confd.users):
        user = store.confd.users[user_id]
        users_by_tenant.setdefault(user["tenant_uuid"], []).append(user)
    ids = _ChannelIds(rng.randrange(10, 100))
    for tenant_uuid in store.tenants:
        users = users_by_tenant.get(tenant_uuid)
        if not users:
            continue
        for _ in range(spec.calls):
            _seed_call(store, rng, ids, tenant_uuid, users, now)
