"""What the policy is compared with: the recording state read from the stack, as plain data.

Users are the bulk (50,000 on a big stack), so they carry only what matching and diffing need,
in slotted objects. `policy/read.py` fills these from confd and call-logd; tests build them
by hand.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import USER_FIELDS


@dataclass(frozen=True, slots=True)
class Tenant:
    uuid: str
    slug: str | None
    name: str | None

    @property
    def display(self) -> str:
        return self.slug or self.name or self.uuid


@dataclass(slots=True)
class User:
    id: int
    uuid: str
    tenant_uuid: str
    username: str | None
    email: str | None
    firstname: str | None
    lastname: str | None
    call_record_outgoing_internal_enabled: bool = False
    call_record_outgoing_external_enabled: bool = False
    call_record_incoming_internal_enabled: bool = False
    call_record_incoming_external_enabled: bool = False
    online_call_record_enabled: bool = False

    @property
    def display(self) -> str:
        if self.username:
            return self.username
        if self.email:
            return self.email
        full = " ".join(p for p in (self.firstname, self.lastname) if p)
        return full or self.uuid

    def recording(self) -> dict[str, bool]:
        return {f: getattr(self, f) for f in USER_FIELDS}

    @classmethod
    def from_confd(cls, item: Mapping[str, Any]) -> User:
        """Keep only what the policy needs from a confd user (docs/wazo-api.md, confd §2: the
        list is full).

        Its nested `groups` are not read: they carry no label (docs/wazo-api.md, confd §2);
        membership comes from the groups' side, `Group.members`.
        """
        return cls(
            id=int(item["id"]),
            uuid=item["uuid"],
            tenant_uuid=sys.intern(item["tenant_uuid"]),
            username=item.get("username") or None,
            email=item.get("email") or None,
            firstname=item.get("firstname") or None,
            lastname=item.get("lastname") or None,
            **{f: bool(item.get(f, False)) for f in USER_FIELDS},
        )


@dataclass(slots=True)
class Group:
    uuid: str
    id: int
    tenant_uuid: str
    label: str
    name: str
    dtmf_record_toggle: bool = False
    ignore_forward: bool = False  # sent back on every PUT (docs/wazo-api.md, confd §3)
    # uuids of the member users (`members.users`, docs/wazo-api.md, confd §3)
    members: tuple[str, ...] = ()

    @classmethod
    def from_confd(cls, item: Mapping[str, Any]) -> Group:
        users = (item.get("members") or {}).get("users") or ()
        return cls(
            uuid=item["uuid"],
            id=int(item["id"]),
            tenant_uuid=item["tenant_uuid"],
            label=item.get("label") or "",
            name=item.get("name") or "",
            dtmf_record_toggle=bool(item.get("dtmf_record_toggle", False)),
            ignore_forward=bool(item.get("ignore_forward", False)),
            members=tuple(sys.intern(member["uuid"]) for member in users),
        )


@dataclass(slots=True)
class Queue:
    id: int  # queues have no uuid (docs/wazo-api.md, confd §4)
    tenant_uuid: str
    name: str
    label: str
    dtmf_record_toggle: bool = False

    @classmethod
    def from_confd(cls, item: Mapping[str, Any]) -> Queue:
        return cls(
            id=int(item["id"]),
            tenant_uuid=item["tenant_uuid"],
            name=item.get("name") or "",
            label=item.get("label") or "",
            dtmf_record_toggle=bool(item.get("dtmf_record_toggle", False)),
        )


@dataclass(slots=True)
class CallRecordExtension:
    """The `*26` feature extension (docs/wazo-api.md, confd §5)."""

    uuid: str
    exten: str
    enabled: bool


@dataclass(slots=True)
class Retention:
    """call-logd per-tenant retention; None = the server default applies (docs/wazo-api.md,
    call-logd §9)."""

    cdr_days: int | None = None
    recording_days: int | None = None
    export_days: int | None = None
    # call-logd's default_*_days, in force for a key left unset
    defaults: dict[str, int | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int | None]:
        return {
            "cdr_days": self.cdr_days,
            "recording_days": self.recording_days,
            "export_days": self.export_days,
        }


@dataclass
class Inventory:
    """Everything read from the stack for one plan."""

    tenants: list[Tenant]
    users: list[User] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)
    callrecord: CallRecordExtension | None = None  # None: not read (no `features`) or absent
    applicationmap: dict[str, str] | None = None  # None: not read (not a master token)
    retention: dict[str, Retention] = field(default_factory=dict)  # by tenant uuid
    master: bool = True  # the token belongs to the master tenant (global features)

    def users_of(self, tenant_uuid: str) -> list[User]:
        return [u for u in self.users if u.tenant_uuid == tenant_uuid]

    def groups_of(self, tenant_uuid: str) -> list[Group]:
        return [g for g in self.groups if g.tenant_uuid == tenant_uuid]

    def queues_of(self, tenant_uuid: str) -> list[Queue]:
        return [q for q in self.queues if q.tenant_uuid == tenant_uuid]


def by_tenant(objects: Iterable[Any]) -> dict[str, list[Any]]:
    """Objects grouped by their `tenant_uuid`, keeping their order."""
    grouped: dict[str, list[Any]] = {}
    for obj in objects:
        grouped.setdefault(obj.tenant_uuid, []).append(obj)
    return grouped
