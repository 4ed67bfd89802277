"""`wazo-rec retention show|set`: a tenant's CDR, recording and export retention (call-logd)."""

from __future__ import annotations

import click

from ..admin import retention as model
from ..retention_rule import MAX_DAYS
from . import main
from .context import app, emit_json, output_option

DAYS = click.IntRange(0, MAX_DAYS)  # retention_rule: a century at most
tenant_option = click.option(
    "--tenant", help="Tenant uuid, slug or name [default: the token's tenant]."
)


@main.group()
def retention() -> None:
    """How long call-logd keeps CDRs, recordings and exports, per tenant (in days)."""


@retention.command("show")
@tenant_option
@output_option
def show_command(tenant: str | None, output: str) -> None:
    """The tenant's values; an unset value means the default applies."""
    with app().connect() as wazo:
        named = wazo.resolve_tenant(tenant) if tenant else None
        current = model.show(wazo, named["uuid"] if named else None)
    if output == "json":
        emit_json(current.as_json())
        return
    click.echo(f"tenant          {_tenant_label(named, current.tenant_uuid)}")
    for key in model.KEYS:
        value = current.values[key]
        shown = f"unset (default {current.defaults[key]})" if value is None else str(value)
        click.echo(f"{key:<15} {shown}")


@retention.command("set")
@tenant_option
@click.option("--cdr-days", type=click.IntRange(0, MAX_DAYS), help="Days CDRs are kept.")
@click.option(
    "--recording-days", type=click.IntRange(0, MAX_DAYS), help="Days recordings are kept."
)
@click.option(
    "--export-days", type=click.IntRange(0, MAX_DAYS), help="Days export archives are kept."
)
@output_option
def set_command(
    tenant: str | None,
    cdr_days: int | None,
    recording_days: int | None,
    export_days: int | None,
    output: str,
) -> None:
    """Change some values and keep the others.

    \b
    call-logd resets every key a PUT omits, so the current values are read first and all
    three are sent. recording_days may not exceed cdr_days (checked before sending).
    Nothing is sent when nothing changes.
    """
    wanted = {"cdr_days": cdr_days, "recording_days": recording_days, "export_days": export_days}
    if all(value is None for value in wanted.values()):
        raise click.UsageError("give at least one of --cdr-days, --recording-days, --export-days")
    with app().connect() as wazo:
        named = wazo.resolve_tenant(tenant) if tenant else None
        change = model.apply(wazo, named["uuid"] if named else None, wanted)
    if output == "json":
        emit_json(
            {
                "tenant_uuid": change.before.tenant_uuid,
                "changed": {k: {"before": b, "after": a} for k, (b, a) in change.changed.items()},
                "retention": change.after,
            }
        )
        return
    where = f"tenant {_tenant_label(named, change.before.tenant_uuid)}"
    if not change.changed:
        click.echo(f"{where}: retention unchanged, nothing sent")
        return
    for key, (before, after) in change.changed.items():
        click.echo(f"{where}: {key} {_shown(before)} → {_shown(after)}")


def _shown(value: int | None) -> str:
    return "unset" if value is None else str(value)


def _tenant_label(named: dict | None, tenant_uuid: str | None) -> str:
    """`acme (uuid)` when the tenant was named on the command line, else its uuid."""
    if named is None:
        return str(tenant_uuid)
    return f"{named.get('slug') or named.get('name')} ({named['uuid']})"
