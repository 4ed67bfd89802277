"""Desired vs actual -> a `Plan`: a plain value listing what would change, and the exact bodies.

Every PUT reloads Asterisk modules (docs/wazo-api.md, confd §0), so an object appears in the plan
only when one of its managed fields differs, and its body carries only what the API needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ..errors import SafetyRefused
from .inventory import Tenant
from .resolve import Desired, Settings

Kind = Literal["feature", "applicationmap", "user", "group", "queue", "retention"]
KINDS: tuple[Kind, ...] = ("feature", "applicationmap", "user", "group", "queue", "retention")
PLURALS = {
    "feature": "features",
    "applicationmap": "applicationmap",
    "user": "users",
    "group": "groups",
    "queue": "queues",
    "retention": "retention",
}
# octoDNS's rule: small plans always pass, whatever their share of the scope
SAFETY_MIN_CHANGES = 10


class FieldChange(NamedTuple):
    before: Any
    after: Any
    origin: str


@dataclass(frozen=True, slots=True)
class Change:
    """One object to update, field by field, and what its request body needs to keep."""

    kind: Kind
    tenant: Tenant | None  # None for the global features
    object_id: str | int  # user uuid, group uuid, queue id, feature uuid, tenant uuid
    name: str
    fields: dict[str, FieldChange]
    current: Mapping[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The exact request body: minimal, and safe for Wazo's quirks."""
        after = {name: change.after for name, change in self.fields.items()}
        if self.kind == "group":
            # docs/wazo-api.md, confd §3: a group PUT without ignore_forward resets it to false
            return {**after, "ignore_forward": self.current["ignore_forward"]}
        if self.kind == "applicationmap":
            # docs/wazo-api.md, confd §5: the PUT replaces the whole section; only togglerecord's
            # DTMF changes
            options = dict(self.current["options"])
            _, comma, rest = options["togglerecord"].partition(",")
            options["togglerecord"] = after["togglerecord"] + comma + rest
            return {"options": options}
        if self.kind == "retention":
            # docs/wazo-api.md, call-logd §9: omitted keys are reset to null, so the current values
            # go back
            return {**self.current, **after}
        return (
            after  # users (never call_record_enabled: docs/wazo-api.md, confd §2), queues, feature
        )


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    objects_in_scope: int
    max_change_percent: float = 30
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        """Changed objects per kind, in a stable order, kinds without changes left out."""
        counted = Counter(c.kind for c in self.changes)
        return {kind: counted[kind] for kind in KINDS if counted[kind]}

    def check_safety(self, *, force: bool = False) -> None:
        """Refuse a plan that changes too much of the scope (octoDNS's TooMuchChange)."""
        changed = len(self.changes)
        if force or changed <= SAFETY_MIN_CHANGES:
            return
        percent = 100 * changed / max(self.objects_in_scope, 1)
        if percent > self.max_change_percent:
            raise SafetyRefused(
                f"refusing to change {changed} of {self.objects_in_scope} objects in scope "
                f"({percent:.0f}% > safety.max_change_percent {self.max_change_percent:g}%): "
                "review `wazo-rec plan`, then run apply with --force"
            )


def build_plan(desired: Desired) -> Plan:
    """Diff the desired state against the current objects it carries."""
    changes: list[Change] = []
    scope = 0
    if desired.callrecord is not None and desired.current_callrecord is not None:
        scope += 1
        feature = desired.current_callrecord
        current = {"enabled": feature.enabled, "exten": feature.exten}
        fields = _diff(current, desired.callrecord)
        if fields:
            changes.append(
                Change("feature", None, feature.uuid, f"callrecord ({feature.exten})", fields)
            )
    if desired.togglerecord is not None and desired.applicationmap is not None:
        scope += 1
        options = desired.applicationmap
        current_dtmf = options["togglerecord"].split(",", 1)[0]
        fields = _diff({"togglerecord": current_dtmf}, {"togglerecord": desired.togglerecord})
        if fields:
            changes.append(
                Change(
                    "applicationmap",
                    None,
                    "applicationmap",
                    "togglerecord",
                    fields,
                    {"options": dict(options)},
                )
            )

    for tenant_state in desired.tenants:
        tenant = tenant_state.tenant
        users = sorted(tenant_state.users, key=lambda d: (d.user.display.lower(), d.user.id))
        scope += len(users)
        for wanted in users:
            fields = _diff_object(wanted.user, wanted.settings)
            if fields:
                user = wanted.user
                changes.append(Change("user", tenant, user.uuid, user.display, fields))
        scope += len(tenant_state.groups)
        for group, settings in sorted(tenant_state.groups, key=lambda g: (g[0].label, g[0].uuid)):
            fields = _diff_object(group, settings)
            if fields:
                current = {"ignore_forward": group.ignore_forward}
                changes.append(Change("group", tenant, group.uuid, group.label, fields, current))
        scope += len(tenant_state.queues)
        for queue, settings in sorted(tenant_state.queues, key=lambda q: (q[0].name, q[0].id)):
            fields = _diff_object(queue, settings)
            if fields:
                changes.append(Change("queue", tenant, queue.id, queue.name, fields))
        if tenant_state.retention is not None:
            scope += 1
            current = tenant_state.current_retention.as_dict()
            fields = _diff(current, tenant_state.retention)
            if fields:
                changes.append(
                    Change("retention", tenant, tenant.uuid, tenant.display, fields, current)
                )
    return Plan(tuple(changes), scope, desired.max_change_percent, tuple(desired.warnings))


def _diff_object(obj: Any, settings: Settings) -> dict[str, FieldChange]:
    return {
        name: FieldChange(getattr(obj, name), value, origin)
        for name, (value, origin) in settings.items()
        if getattr(obj, name) != value
    }


def _diff(current: Mapping[str, Any], settings: Settings) -> dict[str, FieldChange]:
    return {
        name: FieldChange(current.get(name), value, origin)
        for name, (value, origin) in settings.items()
        if current.get(name) != value
    }
