"""`wazo-rec export run|status|setup`: the recording export, its journal, its account."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path

import click

from .. import secrets
from ..config import destination_specs
from ..destinations import StateUploads, open_destination
from ..destinations.encryption import Encryption
from ..errors import UserError
from ..export.job import ExportJob, RunReport, export_zone
from ..export.journal import DB_NAME, Journal, RunLock
from ..export.progress import LineReporter, TtyReporter, human_size
from ..export.setup import SERVICE_USERNAME, UNIT_CREDENTIAL_PATH, setup_service_account
from ..export.windows import Window, adhoc_window, parse_bound
from ..jobs.state import open_state
from ..wazo.stack import Wazo
from . import main
from .context import app, emit_json, is_tty, output_option, table


@main.group()
def export() -> None:
    """The recording export: the timer's job, its journal and its service account."""


@export.command("run")
@click.option("--from", "from_", metavar="ISO", help="Start of a one-off window (inclusive).")
@click.option("--until", metavar="ISO", help="End of a one-off window (exclusive).")
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="T",
    help="Only this tenant (uuid or slug; repeatable) [default: export.tenants].",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
def run_command(
    from_: str | None, until: str | None, tenants: tuple[str, ...], dry_run: bool
) -> None:
    """Export every due window (the timer's job).

    Every complete window not exported yet (at most export.catch_up back), for each tenant:
    launch the call-logd export, wait for it, download and check the archive, deliver it with
    its manifest to each destination.

    \b
    A killed run resumes: launched exports are polled, not launched again.
    Exit status 1 when a window failed (it is retried on the next run).
    """
    config = app().config
    settings = config.export
    zone = export_zone(settings.timezone)
    window = _one_off_window(from_, until, zone)
    specs = destination_specs(settings)
    reporter = TtyReporter() if is_tty() else LineReporter()
    state_dir = Path(settings.state_dir)
    chosen = list(tenants) or None
    sealing = Encryption(tuple(config.encryption.age_recipients)) if config.encryption else None

    if dry_run:
        journal = Journal.open(state_dir, create=False) if _journal_exists(state_dir) else None
        try:
            with _connect() as wazo:
                ExportJob(wazo, settings, journal, [], reporter, zone=zone).run(
                    tenants=chosen, window=window, dry_run=True
                )
        finally:
            if journal is not None:
                journal.close()
        return

    with RunLock(state_dir), Journal.open(state_dir) as journal:
        # every destination opened (SDK, secret) before any work: a bad one stops the run now
        uploads = StateUploads(open_state(state_dir))
        destinations = [open_destination(spec, uploads=uploads) for spec in specs]
        try:
            with _connect() as wazo:
                report = ExportJob(
                    wazo,
                    settings,
                    journal,
                    destinations,
                    reporter,
                    zone=zone,
                    encryption=sealing,
                    deliveries=uploads,
                ).run(tenants=chosen, window=window)
        finally:
            for destination in destinations:
                destination.close()
            uploads.conn.close()
    reporter.info(_summary(report))
    if not report.ok:
        raise click.exceptions.Exit(1)


def _one_off_window(from_: str | None, until: str | None, zone: tzinfo) -> Window | None:
    if from_ is None and until is None:
        return None
    if from_ is None or until is None:
        raise click.UsageError("--from and --until go together")
    try:
        return adhoc_window(parse_bound(from_), parse_bound(until), datetime.now(UTC), zone)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _connect() -> Wazo:
    """The service account's refresh token when there is one, else the admin credentials."""
    config = app().config
    return app().connect(as_="service" if secrets.has_refresh_token(config) else "any")


def _journal_exists(state_dir: Path) -> bool:
    return (state_dir / DB_NAME).exists()


def _summary(report: RunReport) -> str:
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    if not counts:
        return "export: done, nothing was due"
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    verdict = "done" if report.ok else "FAILED"
    return f"export: {verdict}: {parts}"


@export.command("status")
@output_option
def status_command(output: str) -> None:
    """The journal: per tenant and window, status, archive, size, sha256."""
    state_dir = Path(app().config.export.state_dir)
    if not _journal_exists(state_dir):
        if output == "json":
            emit_json({"journal": str(state_dir / DB_NAME), "windows": []})
        else:
            click.echo(f"no export has run yet (no journal at {state_dir / DB_NAME})")
        return
    with Journal.open(state_dir, create=False) as journal:
        entries = journal.entries()
    if output == "json":
        emit_json({"journal": str(journal.path), "windows": [e.as_dict() for e in entries]})
        return
    rows = []
    for entry in entries:
        if entry.status == "failed":
            where = f"{entry.last_error}"
        elif entry.locations:
            where = ", ".join(entry.locations)
        elif entry.export_uuid and entry.status != "empty":
            where = f"export {entry.export_uuid}"
        else:
            where = ""
        rows.append(
            [
                entry.tenant_slug,
                entry.window.label,
                entry.status,
                entry.attempts,
                "" if entry.recordings is None else entry.recordings,
                "" if entry.size is None else human_size(entry.size),
                (entry.sha256 or "")[:16],
                where,
            ]
        )
    click.echo(
        table(
            rows,
            ["TENANT", "WINDOW", "STATUS", "TRIES", "RECORDINGS", "SIZE", "SHA256", "WHERE"],
        )
    )


@export.command("setup")
@click.option(
    "--username",
    default=SERVICE_USERNAME,
    show_default=True,
    help="The service account's username.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Mint a new refresh token even if the token file exists (the account is created "
    "again; its old refresh token stops working).",
)
@output_option
def setup_command(username: str, force: bool, output: str) -> None:
    """Create the export's service account, its policy and its refresh token.

    With admin credentials: create (or reuse) the service account, give it a policy with
    exactly the ACLs the export needs, and write its refresh token to auth.refresh_token_file
    (mode 0600). Safe to run again.
    """
    config = app().config
    with app().connect(as_="admin") as wazo:
        report = setup_service_account(wazo, config, username=username, force=force)
    if output == "json":
        emit_json(
            {
                "username": report.username,
                "user_uuid": report.user_uuid,
                "tenant": report.tenant,
                "user": report.user,
                "policy_uuid": report.policy_uuid,
                "policy": report.policy,
                "acl": report.acl,
                "token_file": str(report.token_file),
                "token": report.token,
                "missing_acl": report.missing_acl,
            }
        )
        return
    tenant = report.tenant.get("slug") or report.tenant.get("uuid")
    click.echo(
        f"service account {report.username} ({report.user_uuid}): {report.user}, tenant {tenant}"
    )
    click.echo(f"policy {report.policy_uuid}: {report.policy}: {', '.join(report.acl)}")
    if report.token == "written":
        click.echo(f"refresh token written to {report.token_file} (mode 0600)")
    else:
        click.echo(f"refresh token file {report.token_file} kept (--force mints a new one)")
    if report.missing_acl:
        click.echo(f"warning: the new token lacks {', '.join(report.missing_acl)}", err=True)
    elif report.missing_acl is None:
        click.echo("warning: could not check the new token's ACLs (scopes check failed)", err=True)
    if report.token_file != UNIT_CREDENTIAL_PATH:
        click.echo(
            f"note: the unit loads {UNIT_CREDENTIAL_PATH}; point LoadCredential=refresh-token: "
            f"at {report.token_file} in a drop-in (systemctl edit wazo-rec-export.service)"
        )
    click.echo("enable the weekly export with: systemctl enable --now wazo-rec-export.timer")
