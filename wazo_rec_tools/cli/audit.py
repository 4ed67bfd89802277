"""`wazo-rec audit`: the calls that had to be recorded and were not, and the reverse."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

from .. import durable
from ..admin.recordings import DEFAULT_PAGE_SIZE, resolve_user
from ..audit.classify import MISSING, UNEXPECTED
from ..audit.html import render_html
from ..audit.notify import AUDIT_JOB, audit_outcome
from ..audit.render import (
    csv_lines,
    json_chunks,
    requirement_text,
    totals_text,
    verdict_text,
    window_text,
)
from ..audit.result import AuditResult
from ..audit.run import AuditRequest, run_audit
from ..errors import UserError
from ..export.job import export_zone
from ..export.progress import LineReporter
from ..export.windows import last_complete
from ..jobs.report import JobOutcome
from ..jobs.shell import JobShell, RunContext
from ..localzone import local_timezone
from ..policy.load import load_policy
from . import main
from .context import app, table
from .moments import MOMENT, aware, ordered


@main.command("audit")
@click.option(
    "--from",
    "from_",
    type=MOMENT,
    help="Start of the window, inclusive (date or date-time; no offset: local time).",
)
@click.option("--until", type=MOMENT, help="End of the window, exclusive.")
@click.option(
    "--last-week",
    is_flag=True,
    help="The last complete week, Monday 00:00 to Monday 00:00 local time (for timers).",
)
@click.option("--tenant", help="Tenant uuid, slug or name [default: every visible tenant].")
@click.option("--user", "user_ref", help="Only this user's calls: username, e-mail or uuid.")
@click.option(
    "--output",
    type=click.Choice(["text", "json", "csv", "html"]),
    default="text",
    show_default=True,
    help="text for people; json (stable) or csv (the exceptions) for scripts; "
    "html: a self-contained page to file.",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file (atomically) instead of standard output.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when any call is missing or unexpected (0: none, 1: error).",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy file [default: `policy:` of the config].",
)
@click.option(
    "--no-policy",
    is_flag=True,
    help="Hold the calls against the stack's current settings alone.",
)
@click.option(
    "--span-days",
    type=click.IntRange(min=1),
    default=31,
    show_default=True,
    help="Longer windows are queried in pieces of this many days.",
)
@click.option(
    "--page-size",
    type=click.IntRange(min=1, max=1000),
    default=DEFAULT_PAGE_SIZE,
    show_default=True,
    help="CDRs per request.",
)
@click.pass_context
def audit_command(
    ctx: click.Context,
    from_: datetime | date | None,
    until: datetime | date | None,
    last_week: bool,
    tenant: str | None,
    user_ref: str | None,
    output: str,
    output_file: Path | None,
    detailed_exitcode: bool,
    policy_path: Path | None,
    no_policy: bool,
    span_days: int,
    page_size: int,
) -> None:
    """Hold the window's answered calls against the recording policy.

    Each call between users is ok, missing (required, no recording kept), deleted (required,
    recorded, deleted since), on-demand (not required, recorded by someone allowed to) or
    unexpected (recorded though nothing allows it). Where the policy does not manage a flag,
    the stack's current value is the requirement, and the report says so. Reads only.
    """
    zone = local_timezone()
    if last_week:
        if from_ is not None or until is not None:
            raise click.UsageError("give --last-week, or --from and --until, not both")
        # the export's weeks: the audit of a week covers what its archive holds
        weeks = export_zone(app().config.export.timezone)
        window = last_complete(datetime.now(weeks), "weekly", weeks)
        start, end = window.start, window.end
    else:
        if from_ is None or until is None:
            raise click.UsageError("give --from ISO and --until ISO (or --last-week)")
        start, end = aware(from_, zone, "--from"), aware(until, zone, "--until")
        ordered(start, end)
    if no_policy and policy_path:
        raise click.UsageError("give --policy or --no-policy, not both")
    loaded = None if no_policy else load_policy(policy_path or app().config.policy)

    def audit_now() -> AuditResult:
        with app().connect() as wazo:
            tenant_uuid = wazo.resolve_tenant(tenant)["uuid"] if tenant else None
            user = resolve_user(wazo, user_ref, tenant_uuid=tenant_uuid) if user_ref else None
            request = AuditRequest(
                start=start,
                end=end,
                tenant=tenant_uuid,
                user_uuid=user["uuid"] if user else None,
                span=timedelta(days=span_days),
                page_size=page_size,
            )
            return run_audit(wazo, loaded, request, zone)

    config = app().config
    if config.notify or config.metrics:
        # with hooks configured the audit is a job like the others: `audit.failed` when a
        # call is missing or unexpected, pings, metrics (docs/audit.md)
        results: list[AuditResult] = []

        def work(run: RunContext) -> JobOutcome:
            results.append(audit_now())
            return audit_outcome(results[0], datetime.now(UTC), detailed=detailed_exitcode)

        reporter = LineReporter(sys.stderr, sys.stderr)
        JobShell(AUDIT_JOB, config, what="audit", reporter=reporter).run(work)
        result = results[0]
    else:
        result = audit_now()
    for line in result.warnings:
        click.echo(line, err=True)

    chunks = _render(result, output)
    if output_file is not None:
        try:
            durable.write_text(output_file, chunks)
        except OSError as exc:
            raise UserError(f"{output_file}: cannot write the report: {exc.strerror}") from None
        click.echo(f"{output_file}: {verdict_text(result)}", err=True)
    else:
        for chunk in chunks:
            click.echo(chunk, nl=False)
    ctx.exit(result.exit_code(detailed_exitcode))


def _render(result: AuditResult, output: str) -> Iterable[str]:
    """The report in pieces: JSON and CSV are streamed, never held whole."""
    if output == "json":
        return json_chunks(result)
    if output == "csv":
        return csv_lines(result)
    if output == "html":
        return [render_html(result, generated=datetime.now(local_timezone()))]
    return [render_text(result) + "\n"]


def render_text(result: AuditResult) -> str:
    tenants = ", ".join(name for _, name in result.tenants) or "every visible tenant"
    lines = [
        f"Recording audit: {window_text(result)}",
        f"Tenants: {tenants}" + (f"; user {result.user}" if result.user else ""),
        requirement_text(result),
        totals_text(result),
        verdict_text(result),
        "",
    ]
    if result.rows:
        lines.append(
            table(
                [
                    [
                        row.user,
                        row.direction,
                        row.calls,
                        row.required,
                        row.recorded,
                        row.missing,
                        row.deleted,
                        row.on_demand,
                        row.unexpected,
                        row.requirement,
                    ]
                    for row in result.rows
                ],
                [
                    "USER",
                    "DIRECTION",
                    "CALLS",
                    "REQUIRED",
                    "RECORDED",
                    "MISSING",
                    "DELETED",
                    "ON-DEMAND",
                    "UNEXPECTED",
                    "REQUIREMENT",
                ],
            )
        )
    else:
        lines.append("No answered call between users in the window.")
    for category in (MISSING, UNEXPECTED):
        calls = [v for v in result.exceptions if v.category == category]
        if not calls:
            continue
        lines += ["", f"{category.capitalize()} ({len(calls)}):"]
        lines.append(
            table(
                [
                    [
                        v.cdr_id,
                        v.start.isoformat(timespec="seconds") if v.start else "",
                        v.direction,
                        v.source.text,
                        v.destination.text + (f" via {v.via}" if v.via else ""),
                        "; ".join(r.text for r in v.reasons),
                    ]
                    for v in calls
                ],
                ["CDR", "START", "DIRECTION", "SOURCE", "DESTINATION", "FLAG"],
            )
        )
    return "\n".join(lines)
