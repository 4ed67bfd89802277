"""A plan for people (a diff that reads like a diff) and for scripts (stable JSON)."""

from __future__ import annotations

from typing import Any

import click

from .plan import PLURALS, Change, Plan

JSON_FORMAT_VERSION = 1


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def summary_line(plan: Plan) -> str:
    scope = plan.objects_in_scope
    if plan.empty:
        return f"No changes: the stack matches the policy ({objects(scope)} in scope)."
    counts = ", ".join(f"{PLURALS[kind]} {n}" for kind, n in plan.counts().items())
    return f"Plan: {objects(len(plan.changes))} to change ({counts}), {scope} in scope."


def objects(n: int) -> str:
    """`1 object`, `2 objects`."""
    return f"{n} object" if n == 1 else f"{n} objects"


def render_text(plan: Plan, *, colour: bool = False) -> str:
    """Per object, `field: before → after  (origin)`, grouped by tenant; then the summary."""

    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if colour else text

    lines: list[str] = []
    section = object()
    for change in plan.changes:
        tenant = change.tenant
        if tenant is not section:
            heading = f"tenant {tenant.display}" if tenant is not None else "global"
            lines.append(style(heading, bold=True))
            section = tenant
        lines.append(f"  {style('~', fg='yellow')} {change.kind} {change.name}")
        for name, (before, after, origin) in change.fields.items():
            old = style(value_text(before), fg="red")
            new = style(value_text(after), fg="green")
            lines.append(f"      {name}: {old} → {new}  {style(f'({origin})', dim=True)}")
    if lines:
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines)


def change_json(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "tenant": change.tenant.display if change.tenant else None,
        "tenant_uuid": change.tenant.uuid if change.tenant else None,
        "id": change.object_id,
        "name": change.name,
        "fields": {
            name: {"before": before, "after": after, "origin": origin}
            for name, (before, after, origin) in change.fields.items()
        },
        "body": change.body(),
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan for scripts; its shape is documented in docs/policy.md."""
    return {
        "format_version": JSON_FORMAT_VERSION,
        "changes": [change_json(c) for c in plan.changes],
        "summary": {
            "objects_in_scope": plan.objects_in_scope,
            "changes": len(plan.changes),
            "by_kind": {PLURALS[kind]: n for kind, n in plan.counts().items()},
        },
        "warnings": list(plan.warnings),
    }
