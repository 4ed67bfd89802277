"""The requirement an audit holds the CDRs against: every user's recording flags, and the
groups' and queues' on-demand toggles, each with where its value comes from.

Pure: built from the resolver's output (`policy/resolve.py`) and the inventory it resolved.
A field the policy manages takes the policy's desired value ("policy: rule 2"); a field it
does not manage, a user nothing matches, a tenant without a section, take the stack's
current value ("stack"), and the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..policy.inventory import Group, Inventory, Queue, User
from ..policy.model import USER_FIELDS
from ..policy.resolve import DesiredTenant

STACK = "stack"


@dataclass(frozen=True, slots=True)
class Flag:
    """One boolean of the requirement, and where it comes from."""

    value: bool
    origin: str  # "policy: defaults", "policy: rule 2", "policy: groups items" or "stack"

    @property
    def managed(self) -> bool:
        return self.origin.startswith("policy")


@dataclass(frozen=True, slots=True)
class UserFlags:
    uuid: str
    tenant_uuid: str
    display: str  # username, e-mail, full name or uuid
    flags: Mapping[str, Flag]  # every field of USER_FIELDS


@dataclass(frozen=True, slots=True)
class Toggle:
    """A group or queue, for its `dtmf_record_toggle` (who may record on demand through it)."""

    kind: str  # "group" | "queue"
    id: int
    tenant_uuid: str
    label: str
    dtmf_record_toggle: Flag

    @property
    def display(self) -> str:
        return f"{self.kind} {self.label}"


@dataclass(frozen=True)
class Requirement:
    users: Mapping[str, UserFlags] = field(default_factory=dict)  # by user uuid
    groups: Mapping[int, Toggle] = field(default_factory=dict)  # by confd group id
    # (tenant uuid, exten, context) -> the queue (or group) that extension reaches
    extensions: Mapping[tuple[str, str, str], Toggle] = field(default_factory=dict)


def from_stack(user: User) -> UserFlags:
    """A user's flags as they are on the stack (no policy, or nothing of it applies)."""
    return UserFlags(
        user.uuid,
        user.tenant_uuid,
        user.display,
        {name: Flag(bool(getattr(user, name)), STACK) for name in USER_FIELDS},
    )


def build_requirement(
    inventory: Inventory,
    desired: Iterable[DesiredTenant] = (),
    *,
    queue_extensions: Mapping[int, Iterable[tuple[str, str]]] | None = None,
    group_extensions: Mapping[int, Iterable[tuple[str, str]]] | None = None,
) -> Requirement:
    """The requirement for every user, group and queue of `inventory`.

    `desired`: the resolver's tenants (those the policy has a section for); the rest of the
    inventory is taken as it is on the stack. `queue_extensions` / `group_extensions`: the
    (exten, context) pairs of each queue / group by id (confd's `extensions`), used to tell a
    call that went through it (see docs/audit.md).
    """
    users: dict[str, UserFlags] = {u.uuid: from_stack(u) for u in inventory.users}
    group_settings: dict[int, Flag] = {}
    queue_settings: dict[int, Flag] = {}
    for tenant in desired:
        for state in tenant.users:
            current = users.get(state.user.uuid) or from_stack(state.user)
            flags = dict(current.flags)
            for name, (value, origin) in state.settings.items():
                flags[name] = Flag(bool(value), f"policy: {origin}")
            users[state.user.uuid] = UserFlags(
                current.uuid, current.tenant_uuid, current.display, flags
            )
        for group, settings in tenant.groups:
            if "dtmf_record_toggle" in settings:
                value, origin = settings["dtmf_record_toggle"]
                group_settings[group.id] = Flag(bool(value), f"policy: groups {origin}")
        for queue, settings in tenant.queues:
            if "dtmf_record_toggle" in settings:
                value, origin = settings["dtmf_record_toggle"]
                queue_settings[queue.id] = Flag(bool(value), f"policy: queues {origin}")

    groups = {g.id: _toggle("group", g, group_settings.get(g.id)) for g in inventory.groups}
    queues = {q.id: _toggle("queue", q, queue_settings.get(q.id)) for q in inventory.queues}
    extensions: dict[tuple[str, str, str], Toggle] = {}
    for by_id, pairs_of in ((groups, group_extensions), (queues, queue_extensions)):
        for object_id, pairs in (pairs_of or {}).items():
            toggle = by_id.get(object_id)
            if toggle is None:
                continue
            for exten, context in pairs:
                extensions[(toggle.tenant_uuid, exten, context)] = toggle
    return Requirement(users, groups, extensions)


def _toggle(kind: str, obj: Group | Queue, managed: Flag | None) -> Toggle:
    flag = managed or Flag(bool(obj.dtmf_record_toggle), STACK)
    label = obj.label or obj.name or str(obj.id)
    return Toggle(kind, obj.id, obj.tenant_uuid, label, flag)
