"""`explain USER`: a user's current and desired recording fields, and which rule set each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from .inventory import Inventory, Tenant, User
from .load import LoadedPolicy
from .model import USER_FIELDS
from .render import value_text
from .resolve import resolve


@dataclass
class FieldExplanation:
    field: str
    current: bool
    desired: bool | None  # None: not managed
    origin: str | None

    @property
    def changes(self) -> bool:
        return self.desired is not None and self.desired != self.current


@dataclass
class Explanation:
    user: User
    tenant: Tenant
    in_policy: bool  # the user's tenant has a section in the policy
    matched: list[tuple[str, str, str]]  # (origin, where in the policy file, its match)
    fields: list[FieldExplanation]


def find_user(inventory: Inventory, ref: str) -> User:
    """A user by username, e-mail, uuid (case-insensitive) or numeric id."""
    wanted = ref.lower()
    found = [
        u
        for u in inventory.users
        if wanted in {v.lower() for v in (u.username, u.email, u.uuid) if v} or str(u.id) == ref
    ]
    if not found:
        raise UserError(f"no user {ref!r} (by username, e-mail, uuid or id) in the tenants read")
    if len(found) > 1:
        listed = ", ".join(f"{u.uuid} ({u.display})" for u in found[:5])
        raise UserError(f"{ref!r} names {len(found)} users: {listed}; give a uuid")
    return found[0]


def explain(loaded: LoadedPolicy, inventory: Inventory, ref: str) -> Explanation:
    user = find_user(inventory, ref)
    tenant = next(t for t in inventory.tenants if t.uuid == user.tenant_uuid)
    desired = resolve(loaded, inventory)
    settings: dict[str, tuple[Any, str]] = {}
    matched: list[tuple[str, str, str]] = []
    in_policy = False
    for state in desired.tenants:
        if state.tenant.uuid != tenant.uuid:
            continue
        in_policy = True
        selections = {s.origin: s for s in state.selections}
        for wanted in state.users:
            if wanted.user is user:
                settings = wanted.settings
                matched = [
                    (o, loaded.where(selections[o].loc), selections[o].match)
                    for o in wanted.matched
                ]
    fields = [
        FieldExplanation(f, getattr(user, f), *settings.get(f, (None, None))) for f in USER_FIELDS
    ]
    return Explanation(user, tenant, in_policy, matched, fields)


def explain_text(explanation: Explanation) -> str:
    user = explanation.user
    lines = [f"user {user.display} ({user.uuid}) in tenant {explanation.tenant.display}"]
    if not explanation.in_policy:
        lines.append("its tenant is not in the policy: nothing is managed")
    elif not explanation.matched:
        lines.append("matched by nothing in the policy: nothing is managed")
    else:
        named = (f"{o} {m} ({w})" if m else f"{o} ({w})" for o, w, m in explanation.matched)
        lines.append("matched by: " + ", ".join(named))
    rows = [("field", "current", "desired", "set by")]
    for f in explanation.fields:
        if f.desired is None:
            rows.append((f.field, value_text(f.current), "-", "not managed"))
        else:
            change = "  (will change)" if f.changes else ""
            rows.append(
                (f.field, value_text(f.current), value_text(f.desired), f"{f.origin}{change}")
            )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        lines.append(
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[3]
        )
    return "\n".join(lines)


def explain_json(explanation: Explanation) -> dict[str, Any]:
    user = explanation.user
    return {
        "user": {"uuid": user.uuid, "id": user.id, "username": user.username, "email": user.email},
        "tenant": explanation.tenant.display,
        "tenant_uuid": explanation.tenant.uuid,
        "in_policy": explanation.in_policy,
        "matched": [
            {"origin": o, "where": w, **({"match": m} if m else {})}
            for o, w, m in explanation.matched
        ],
        "fields": {
            f.field: {"current": f.current, "desired": f.desired, "origin": f.origin}
            for f in explanation.fields
        },
    }
