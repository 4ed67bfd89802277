"""Plain data for the audit's pure core: users, a requirement, CDRs shaped as call-logd's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from wazo_rec_tools.audit.requirement import Requirement, build_requirement
from wazo_rec_tools.policy.inventory import Group, Inventory, Queue, Tenant, User

TENANT = "11111111-1111-4111-8111-111111111111"
START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7)

ALICE = "aaaaaaaa-0000-4000-8000-000000000001"
BOB = "bbbbbbbb-0000-4000-8000-000000000002"
SALES_GROUP_ID = 7
SUPPORT_QUEUE_ID = 3
SUPPORT_QUEUE_EXTEN = ("3000", "acme-internal")


def user(uuid: str, username: str, **flags: bool) -> User:
    return User(
        id=abs(hash(uuid)) % 10_000,
        uuid=uuid,
        tenant_uuid=TENANT,
        username=username,
        email=None,
        firstname=None,
        lastname=None,
        **flags,
    )


def inventory(
    alice: dict[str, bool] | None = None,
    bob: dict[str, bool] | None = None,
    *,
    group_toggle: bool = False,
    queue_toggle: bool = False,
) -> Inventory:
    return Inventory(
        tenants=[Tenant(TENANT, "acme", "Acme")],
        users=[user(ALICE, "alice", **(alice or {})), user(BOB, "bob", **(bob or {}))],
        groups=[
            Group("g-uuid", SALES_GROUP_ID, TENANT, "Sales", "grp-acme-g", group_toggle, False)
        ],
        queues=[Queue(SUPPORT_QUEUE_ID, TENANT, "support", "Support", queue_toggle)],
    )


def requirement(
    alice: dict[str, bool] | None = None,
    bob: dict[str, bool] | None = None,
    *,
    group_toggle: bool = False,
    queue_toggle: bool = False,
) -> Requirement:
    """Alice and Bob with these flags (on the stack, no policy)."""
    return build_requirement(
        inventory(alice, bob, group_toggle=group_toggle, queue_toggle=queue_toggle),
        queue_extensions={SUPPORT_QUEUE_ID: [SUPPORT_QUEUE_EXTEN]},
    )


def recording(n: int = 1, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "start_time": "2026-03-02T10:00:05+00:00",
        "end_time": "2026-03-02T10:05:00+00:00",
        "deleted": deleted,
        "filename": f"2026-03-02T10_00_05UTC-1-00000000-0000-4000-8000-{n:012d}.wav",
    }


def cdr(
    direction: str,
    *,
    cdr_id: int = 1,
    source: str | None = None,
    destination: str | None = None,
    answered: bool = True,
    recordings: list[dict[str, Any]] | None = None,
    start: datetime = START + timedelta(hours=10),
    **extra: Any,
) -> dict[str, Any]:
    """A CDR item with the keys call-logd sends (the conformance corpus's shape)."""
    external_source = direction == "inbound"
    external_destination = direction == "outbound"
    item: dict[str, Any] = {
        "id": cdr_id,
        "tenant_uuid": TENANT,
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=5)).isoformat(),
        "answered": answered,
        "answer": (start + timedelta(seconds=5)).isoformat() if answered else None,
        "duration": 295 if answered else None,
        "call_direction": direction,
        "call_status": "answered" if answered else "unknown",
        "conversation_id": f"{int(start.timestamp())}.1",
        "destination_details": {"type": "user" if destination else "unknown"},
        "destination_extension": "0612345678" if external_destination else "1001",
        "destination_internal_context": None,
        "destination_internal_extension": None,
        "destination_line_id": None,
        "destination_name": "Bob" if destination else "",
        "destination_user_uuid": destination,
        "requested_name": None,
        "requested_context": "from-extern" if external_source else "acme-internal",
        "requested_extension": "0612345678" if external_destination else "1001",
        "requested_internal_context": None,
        "requested_internal_extension": None,
        "requested_user_uuid": None,
        "source_extension": "+14185550000" if external_source else "1000",
        "source_internal_context": None,
        "source_internal_name": None,
        "source_internal_extension": None,
        "source_line_id": None,
        "source_name": "Alice" if source else "Jane Roe",
        "source_user_uuid": source,
        "tags": [],
        "recordings": recordings or [],
    }
    item.update(extra)
    return item
