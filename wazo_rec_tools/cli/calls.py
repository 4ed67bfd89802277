"""`wazo-rec calls list` and `calls record start|stop|pause|resume`: live calls in calld."""

from __future__ import annotations

import click

from ..admin import calls as live
from ..wazo.calld import RECORD_ACTIONS
from . import main
from .context import app, emit_json, output_option, table

DONE = {"start": "started", "stop": "stopped", "pause": "paused", "resume": "resumed"}


@main.group()
def calls() -> None:
    """Live calls and their recording."""


@calls.command("list")
@click.option("--tenant", help="Tenant uuid, slug or name [default: every tenant].")
@click.option("--recording", is_flag=True, help="Only calls being recorded (active or paused).")
@output_option
def list_command(tenant: str | None, recording: bool, output: str) -> None:
    """The live calls, each with its record state (active, paused, inactive)."""
    with app().connect() as wazo:
        tenant_uuid = wazo.resolve_tenant(tenant)["uuid"] if tenant else None
        items = live.list_calls(wazo, tenant_uuid, recording_only=recording)
    if output == "json":
        emit_json(items)
        return
    if not items:
        click.echo("no calls being recorded" if recording else "no calls")
        return
    click.echo(
        table(
            [
                [
                    c.get("call_id"),
                    c.get("status"),
                    c.get("direction"),
                    _party(c.get("caller_id_name"), c.get("caller_id_number")),
                    _party(c.get("peer_caller_id_name"), c.get("peer_caller_id_number")),
                    c.get("creation_time"),
                    c.get("user_uuid"),
                    c.get("record_state"),
                ]
                for c in items
            ],
            ["CALL", "STATUS", "DIRECTION", "CALLER", "PEER", "SINCE", "USER", "RECORDING"],
        )
    )


def _party(name: str | None, number: str | None) -> str:
    if name and number and name != number:
        return f"{name} ({number})"
    return name or number or ""


@calls.group()
def record() -> None:
    """Start, stop, pause or resume the recording of a live call."""


def _record_command(action: str) -> None:
    @record.command(
        action,
        help=f"{action.capitalize()} recording the live call CALL_ID (like 1700000000.12).",
        short_help=f"{action.capitalize()} recording a live call.",
    )
    @click.argument("call_id")
    @click.option(
        "--tenant",
        help="The call's tenant (uuid, slug or name) [default: found by looking the call up].",
    )
    @output_option
    def command(call_id: str, tenant: str | None, output: str) -> None:
        with app().connect() as wazo:
            if tenant:
                tenant_uuid = wazo.resolve_tenant(tenant)["uuid"]
            else:
                tenant_uuid = live.find_call_tenant(wazo, call_id)
            already = live.record(wazo, call_id, action, tenant_uuid)
            label = next(
                (
                    t.get("slug") or t.get("name")
                    for t in wazo.tenants()
                    if t["uuid"] == tenant_uuid
                ),
                None,
            )
        if output == "json":
            emit_json(
                {
                    "call_id": call_id,
                    "action": action,
                    "tenant_uuid": tenant_uuid,
                    "ok": True,
                    "sent": already is None,
                    "record_state": already,
                }
            )
        elif already is not None:
            where = f"{label} ({tenant_uuid})" if label else tenant_uuid
            click.echo(
                f"call {call_id}: already being recorded (record_state {already}); nothing "
                f"sent (tenant {where})"
            )
        else:
            # docs/wazo-api.md, calld §1: the state changes asynchronously; calld accepted the
            # command
            where = f"{label} ({tenant_uuid})" if label else tenant_uuid
            click.echo(f"call {call_id}: recording {DONE[action]} (tenant {where})")


for _action in RECORD_ACTIONS:
    _record_command(_action)
