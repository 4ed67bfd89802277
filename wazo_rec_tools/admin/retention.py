"""Per-tenant retention in call-logd (docs/wazo-api.md, call-logd §9).

The PUT resets every key it does not carry, so a change is always GET, merge, PUT all three;
and nothing is sent when nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from ..retention_rule import days_problem, order_problem
from ..wazo.stack import Wazo

KEYS = ("cdr_days", "recording_days", "export_days")


@dataclass(frozen=True)
class Retention:
    """A tenant's values (None: unset, the default applies) and the defaults."""

    tenant_uuid: str | None
    values: dict[str, int | None]
    defaults: dict[str, int | None]

    @classmethod
    def from_api(cls, body: dict) -> Retention:
        return cls(
            tenant_uuid=body.get("tenant_uuid"),
            values={key: body.get(key) for key in KEYS},
            defaults={key: body.get(f"default_{key}") for key in KEYS},
        )

    def effective(self, key: str) -> int | None:
        value = self.values[key]
        return value if value is not None else self.defaults[key]

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant_uuid": self.tenant_uuid,
            **self.values,
            **{f"default_{k}": v for k, v in self.defaults.items()},
            **{f"effective_{k}": self.effective(k) for k in KEYS},
        }


@dataclass(frozen=True)
class RetentionChange:
    before: Retention
    after: dict[str, int | None]  # the body to PUT: all three keys

    @property
    def changed(self) -> dict[str, tuple[int | None, int | None]]:
        return {
            key: (self.before.values[key], self.after[key])
            for key in KEYS
            if self.before.values[key] != self.after[key]
        }


def merge(current: Retention, wanted: dict[str, int | None]) -> RetentionChange:
    """The full body for a PUT: the keys given replace, the others keep their current value.

    Refuses what `retention_rule` refuses (the same rule as the policy's).
    """
    given = {k: v for k, v in wanted.items() if v is not None}
    unknown = set(given) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown retention keys: {sorted(unknown)}")
    for key, value in given.items():
        problem = days_problem(value)
        if problem:
            raise UserError(f"--{key.replace('_', '-')}: {problem}")
    after = {key: given.get(key, current.values[key]) for key in KEYS}
    problem = order_problem(after, current.defaults)
    if problem:
        raise UserError(f"{problem}; nothing was sent")
    return RetentionChange(before=current, after=after)


def show(wazo: Wazo, tenant_uuid: str | None) -> Retention:
    return Retention.from_api(wazo.calllogd.retention(tenant=tenant_uuid))


def apply(wazo: Wazo, tenant_uuid: str | None, wanted: dict[str, int | None]) -> RetentionChange:
    """GET, merge, and PUT all three keys only if something changes (docs/wazo-api.md, call-logd
    §9)."""
    change = merge(show(wazo, tenant_uuid), wanted)
    if change.changed:
        wazo.calllogd.put_retention(change.after, tenant=tenant_uuid)
    return change
