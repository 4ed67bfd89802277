"""`wazo-rec export run|status|setup`: the recording export, its journal, its account."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

import click

from .. import secrets
from ..config import destination_specs
from ..destinations import StateUploads, open_destination
from ..destinations.encryption import Encryption
from ..errors import UserError
from ..export.job import ExportJob, RunReport, export_zone, pending_windows
from ..export.journal import DB_NAME, Journal, RunLock
from ..export.notify import JOB as EXPORT_JOB
from ..export.notify import export_outcome
from ..export.progress import LineReporter, TtyReporter, human_size
from ..export.setup import SERVICE_USERNAME, UNIT_CREDENTIAL_PATH, setup_service_account
from ..export.windows import Window, adhoc_window
from ..jobs.report import JobOutcome
from ..jobs.shell import JobShell, RunContext
from ..jobs.state import open_state
from ..moments import MomentError
from ..wazo.stack import Wazo
from . import main
from .context import app, emit_json, is_tty, output_option, table
from .moments import MOMENT, aware, ordered


@main.group()
def export() -> None:
    """The recording export: the timer's job, its journal and its service account."""


@export.command("run")
@click.option("--from", "from_", type=MOMENT, help="Start of a one-off window (inclusive).")
@click.option("--until", type=MOMENT, help="End of a one-off window (exclusive).")
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="T",
    help="Only this tenant (uuid or slug; repeatable) [default: export.tenants].",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@output_option
def run_command(
    from_: datetime | date | None,
    until: datetime | date | None,
    tenants: tuple[str, ...],
    dry_run: bool,
    output: str,
) -> None:
    """Export every due window (the timer's job).

    For each tenant, every complete window since its journal began that is not exported yet
    (export.catch_up bounds the very first run only): launch the call-logd export, wait for
    it, download and check the archive, deliver it with its manifest to each destination.

    \b
    A killed run resumes: launched exports are polled, not launched again.
    Exit status 1 when due time is left behind (named on `left due:` lines; retried next
    run, or given up with `export skip`).
    """
    config = app().config
    settings = config.export
    zone = export_zone(settings.timezone)
    window = _one_off_window(from_, until, zone)
    specs = destination_specs(settings)
    sealing = Encryption(tuple(config.encryption.age_recipients)) if config.encryption else None
    if output == "json":  # the progress lines go to stderr, the report alone to stdout
        reporter: LineReporter = LineReporter(sys.stderr, sys.stderr)
    else:
        reporter = TtyReporter() if is_tty() else LineReporter()
    state_dir = Path(settings.state_dir)
    chosen = list(tenants) or None

    reports: list[RunReport] = []

    def work(run: RunContext) -> JobOutcome:
        log = run.reporter
        journal = None
        uploads = None
        destinations = []
        if not dry_run or _journal_exists(state_dir):
            journal = Journal.open(state_dir, create=not dry_run)
        try:
            if not dry_run:
                # every destination opened (SDK, secret) before any work: a bad one stops now
                uploads = StateUploads(open_state(state_dir))
                destinations = [open_destination(spec, uploads=uploads) for spec in specs]
            with _connect() as wazo:
                report = ExportJob(
                    wazo,
                    settings,
                    journal,
                    destinations,
                    log,
                    zone=zone,
                    encryption=sealing,
                    deliveries=uploads,
                ).run(tenants=chosen, window=window, dry_run=dry_run)
            reports.append(report)
            if not dry_run:
                if output != "json":
                    log.info(_summary(report))
                for outcome in report.left_behind:
                    log.error(
                        f"left due: {outcome.tenant.slug} {outcome.window.label} "
                        f"({outcome.status}): {outcome.detail}"
                    )
            return export_outcome(
                report,
                journal,
                datetime.now(UTC),
                dry_run=dry_run,
                since=run.interrupted_since,
            )
        finally:
            for destination in destinations:
                destination.close()
            if uploads is not None:
                uploads.conn.close()
            if journal is not None:
                journal.close()

    # the job shell holds the export lock, pings, sends the events, writes the metrics
    shell = JobShell(EXPORT_JOB, config, what="export run", reporter=reporter, dry_run=dry_run)
    ok = shell.run(work).ok
    if output == "json":
        emit_json(reports[0].as_dict())
    if not ok:
        raise click.exceptions.Exit(1)


def _one_off_window(
    from_: datetime | date | None, until: datetime | date | None, zone: tzinfo
) -> Window | None:
    if from_ is None and until is None:
        return None
    if from_ is None or until is None:
        raise click.UsageError("--from and --until go together")
    start, end = aware(from_, zone, "--from"), aware(until, zone, "--until")
    ordered(start, end)
    try:
        return adhoc_window(start, end, datetime.now(UTC), zone)
    except MomentError as exc:
        raise UserError(f"--until: {exc}") from None


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
    """The journal: per tenant and window, status, archive, size, sha256; the time given up;
    and every due window not exported yet, with why."""
    settings = app().config.export
    state_dir = Path(settings.state_dir)
    if not _journal_exists(state_dir):
        if output == "json":
            emit_json(
                {"journal": str(state_dir / DB_NAME), "windows": [], "skips": [], "pending": []}
            )
        else:
            click.echo(f"no export has run yet (no journal at {state_dir / DB_NAME})")
        return
    with Journal.open(state_dir, create=False) as journal:
        entries = journal.entries()
        skips = journal.skips()
        pending = pending_windows(
            journal, datetime.now(UTC), settings, export_zone(settings.timezone)
        )
    if output == "json":
        emit_json(
            {
                "journal": str(journal.path),
                "windows": [e.as_dict() for e in entries],
                "skips": [s.as_dict() for s in skips],
                "pending": [p.as_dict() for p in pending],
            }
        )
        return
    rows = []
    for entry in entries:
        if entry.status in ("failed", "skipped"):
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
    for skip in skips:
        click.echo(
            f"given up: {skip.tenant_slug} until {skip.until} ({skip.windows} window(s)), "
            f"on {skip.created_at}: {skip.reason}"
        )
    if not pending:
        click.echo("pending: nothing, every due window is exported")
    for item in pending:
        click.echo(f"pending: {item.tenant_slug} {item.window.label} ({item.status}): {item.why}")


@export.command("skip")
@click.option("--tenant", required=True, metavar="T", help="The tenant (uuid or slug).")
@click.option(
    "--until", required=True, type=MOMENT, help="Give up everything before this (exclusive)."
)
@click.option("--reason", required=True, metavar="TEXT", help="Why: kept in the journal.")
def skip_command(tenant: str, until: datetime | date, reason: str) -> None:
    """Give up a tenant's time before --until: the export no longer asks for it.

    The only way to leave time unexported: the windows not done that end by --until are
    marked skipped, the next window starts at --until, and `export status` shows the
    decision with its reason. Delivered windows are kept as they are.
    """
    settings = app().config.export
    state_dir = Path(settings.state_dir)
    zone = export_zone(settings.timezone)
    end = aware(until, zone, "--until")
    if end > datetime.now(UTC):
        raise UserError(f"--until: {end.isoformat()} is in the future: only past time is given up")
    if not reason.strip():
        raise UserError("--reason: say why the time is given up (it is kept in the journal)")
    with RunLock(state_dir), Journal.open(state_dir) as journal:
        found = _journal_tenant(journal, tenant)
        if found is None:
            with _connect() as wazo:
                resolved = wazo.resolve_tenant(tenant)
            found = (resolved["uuid"], resolved.get("slug") or resolved["uuid"])
        uuid, slug = found
        given_up = journal.skip(uuid, slug, end.astimezone(zone), reason.strip())
    click.echo(
        f"{slug}: time before {end.astimezone(zone).isoformat()} given up "
        f"({len(given_up)} window(s) not done: "
        f"{', '.join(e.window.label for e in given_up) or 'none'}): {reason.strip()}"
    )


def _journal_tenant(journal: Journal, ref: str) -> tuple[str, str] | None:
    for uuid, slug in journal.tenants():
        if ref in (uuid, slug):
            return uuid, slug
    return None


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
