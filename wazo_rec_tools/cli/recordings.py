"""`wazo-rec recordings list|download|delete`: the recordings of call-logd's CDRs."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import click

from ..admin import deletion, download
from ..admin.recordings import (
    DEFAULT_PAGE_SIZE,
    DIRECTIONS,
    RecordingQuery,
    RecordingRow,
    list_recordings,
    pick_recordings,
    recordings_of_cdr,
    resolve_user,
)
from ..errors import SafetyRefused, UserError
from ..localzone import local_timezone
from ..wazo.stack import Wazo
from . import main
from .context import app, emit_json, is_tty, output_option, table
from .moments import MOMENT, aware, ordered

CSV_COLUMNS = (
    "cdr_id",
    "tenant_uuid",
    "start",
    "direction",
    "source_name",
    "source_extension",
    "destination_name",
    "destination_extension",
    "duration",
    "recording_uuid",
    "deleted",
    "filename",
)


@main.group()
def recordings() -> None:
    """List, download and delete call recordings (CDRs with recordings in call-logd)."""


def _selection_options(*, listing: bool) -> Callable[[Callable], Callable]:
    """The options that select recordings by time window and filters.

    Only a listing has a default window; a bulk download or deletion needs --from.
    """

    def decorate(command: Callable) -> Callable:
        options = [
            click.option(
                "--from",
                "from_",
                type=MOMENT,
                help="Start of the window, inclusive (date or date-time; no offset: local time)."
                + (" [default: 7 days before --until]" if listing else ""),
            ),
            click.option(
                "--until",
                type=MOMENT,
                help="End of the window, exclusive. [default: now]",
            ),
            click.option("--tenant", help="Tenant uuid, slug or name [default: every tenant]."),
            click.option(
                "--user", "user_ref", help="Only this user's calls: username, e-mail or uuid."
            ),
            click.option("--direction", type=click.Choice(DIRECTIONS), help="Call direction."),
            click.option(
                "--span-days",
                type=click.IntRange(min=1),
                default=31,
                show_default=True,
                help="Longer windows are queried in pieces of this many days.",
            ),
            click.option(
                "--page-size",
                type=click.IntRange(min=1, max=1000),
                default=DEFAULT_PAGE_SIZE,
                show_default=True,
                help="CDRs per request.",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def _query(
    wazo: Wazo,
    zone: tzinfo,
    *,
    from_: datetime | date | None,
    until: datetime | date | None,
    tenant: str | None,
    user_ref: str | None,
    direction: str | None,
    span_days: int,
    page_size: int,
) -> RecordingQuery:
    end = aware(until, zone, "--until") if until is not None else datetime.now(zone)
    start = aware(from_, zone, "--from") if from_ is not None else end - timedelta(days=7)
    ordered(start, end)
    tenant_uuid = wazo.resolve_tenant(tenant)["uuid"] if tenant else None
    user_uuid = resolve_user(wazo, user_ref, tenant_uuid=tenant_uuid)["uuid"] if user_ref else None
    return RecordingQuery(
        start=start,
        end=end,
        tenant_uuid=tenant_uuid,
        user_uuid=user_uuid,
        direction=direction,
        span=timedelta(days=span_days),
        page_size=page_size,
    )


def _is_single(cdr_id: int | None, recording_uuid: str | None, selection: dict) -> bool:
    """One CDR (CDR_ID given) or a window (--from); never both, never neither."""
    window = [selection[k] for k in ("from_", "until", "user_ref", "direction")]
    if cdr_id is not None:
        if any(value is not None for value in window):
            raise click.UsageError("give a CDR_ID, or --from/--until with filters, not both")
        return True
    if recording_uuid is not None:
        raise click.UsageError("RECORDING_UUID needs a CDR_ID")
    if selection["from_"] is None:
        raise click.UsageError("give a CDR_ID, or --from ISO (and --until) for a window")
    return False


def _rows_of_one_cdr(
    wazo: Wazo, zone: tzinfo, cdr_id: int, recording_uuid: str | None, tenant: str | None
) -> list[RecordingRow]:
    tenant_uuid = wazo.resolve_tenant(tenant)["uuid"] if tenant else None
    rows = recordings_of_cdr(wazo, cdr_id, zone, tenant_uuid=tenant_uuid)
    return pick_recordings(rows, cdr_id, recording_uuid)


# -- list ------------------------------------------------------------------------------------


@recordings.command("list")
@_selection_options(listing=True)
@click.option(
    "--output",
    type=click.Choice(["table", "text", "json", "csv"]),
    default="table",
    show_default=True,
    help="table (or text) for people; json or csv for scripts.",
)
def list_command(output: str, **selection: Any) -> None:
    """One row per recording of the CDRs in the window, oldest first."""
    zone = local_timezone()
    with app().connect() as wazo:
        rows = list_recordings(wazo, _query(wazo, zone, **selection), zone)
        if output == "csv":
            _write_csv(rows)
        elif output == "json":
            emit_json([row.as_json() for row in rows])
        else:
            _print_rows(list(rows))


def _write_csv(rows: Iterable[RecordingRow]) -> None:
    writer = csv.writer(_Echo(), lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:  # streamed: a long window never sits whole in memory
        data = row.as_json()
        writer.writerow(
            [
                "true" if v is True else "false" if v is False else v
                for v in map(data.get, CSV_COLUMNS)
            ]
        )


class _Echo:
    """A file-like stdout for csv.writer, through click.echo."""

    def write(self, text: str) -> None:
        click.echo(text, nl=False)


def _print_rows(rows: list[RecordingRow], *, err: bool = False) -> None:
    if not rows:
        click.echo("no recordings", err=err)
        return
    click.echo(
        table(
            [
                [
                    row.cdr_id,
                    row.start.isoformat(timespec="seconds") if row.start else "",
                    row.direction,
                    _party(row.source_name, row.source_extension),
                    _party(row.destination_name, row.destination_extension),
                    _duration(row.duration),
                    row.recording_uuid,
                    "yes" if row.deleted else "no",
                ]
                for row in rows
            ],
            [
                "CDR",
                "START",
                "DIRECTION",
                "SOURCE",
                "DESTINATION",
                "DURATION",
                "RECORDING",
                "DELETED",
            ],
        ),
        err=err,
    )


def _party(name: str | None, extension: str | None) -> str:
    if name and extension and name != extension:
        return f"{name} ({extension})"
    return name or extension or ""


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


# -- download --------------------------------------------------------------------------------


@recordings.command("download")
@click.argument("cdr_id", type=int, required=False)
@click.argument("recording_uuid", required=False)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(path_type=Path),
    help="One recording: the file to write (or an existing directory). [default: its name]",
)
@click.option(
    "-d",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Bulk (--from/--until): the directory to fill; created if missing.",
)
@_selection_options(listing=False)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Downloads at the same time.",
)
@output_option
def download_command(
    cdr_id: int | None,
    recording_uuid: str | None,
    output_file: Path | None,
    directory: Path | None,
    concurrency: int,
    output: str,
    **selection: Any,
) -> None:
    """Download one CDR's recordings, or every recording of a window (--from ... -d DIR).

    \b
    Files are written as NAME.part and renamed to NAME when complete: a file under its
    final name is complete and is not fetched again; a .part file is fetched again.
    A re-run after an interruption fetches only what is missing. Recordings deleted on
    the server are reported, not failures. Exit 1 if any download failed.
    """
    zone = local_timezone()
    single = _is_single(cdr_id, recording_uuid, selection)
    if single and directory is not None:
        raise click.UsageError("-d/--directory is for bulk downloads; use -o with a CDR_ID")
    if not single and directory is None:
        raise click.UsageError("a bulk download needs -d DIR")
    if not single and output_file is not None:
        raise click.UsageError("-o/--output-file is for one CDR; use -d DIR in bulk")

    with app().connect() as wazo:
        if single:
            assert cdr_id is not None
            rows = _rows_of_one_cdr(wazo, zone, cdr_id, recording_uuid, selection["tenant"])
            jobs = _single_jobs(rows, output_file)
        else:
            assert directory is not None
            rows = list(list_recordings(wazo, _query(wazo, zone, **selection), zone))
            directory.mkdir(parents=True, exist_ok=True)
            jobs = download.plan_jobs(rows, directory)
        summary = _run_downloads(wazo, jobs, concurrency, show_progress=output == "text")

    if output == "json":
        emit_json(summary.as_json())
    else:
        _print_download_summary(summary)
    if not summary.ok or (single and summary.count(download.DELETED)):
        raise click.exceptions.Exit(1)


def _single_jobs(rows: list[RecordingRow], output_file: Path | None) -> list[download.DownloadJob]:
    if output_file is None:
        return download.plan_jobs(rows, Path.cwd())
    if output_file.is_dir():
        return download.plan_jobs(rows, output_file)
    if len(rows) > 1:
        names = ", ".join(row.recording_uuid for row in rows)
        raise UserError(
            f"CDR {rows[0].cdr_id} has {len(rows)} recordings ({names}): name one, "
            "or give -o an existing directory"
        )
    if not output_file.parent.is_dir():
        raise UserError(f"{output_file.parent} does not exist")
    return [download.DownloadJob(rows[0], output_file)]


def _run_downloads(
    wazo: Wazo, jobs: list[download.DownloadJob], concurrency: int, *, show_progress: bool
) -> download.DownloadSummary:
    if not (show_progress and is_tty() and jobs):
        return download.download_all(wazo, jobs, concurrency=concurrency)
    with click.progressbar(length=len(jobs), label="Downloading", file=sys.stderr) as bar:
        return download.download_all(
            wazo, jobs, concurrency=concurrency, on_outcome=lambda _outcome: bar.update(1)
        )


def _print_download_summary(summary: download.DownloadSummary) -> None:
    for outcome in summary.outcomes:
        row = outcome.job.row
        if outcome.status == download.FAILED:
            click.echo(f"failed   CDR {row.cdr_id} recording {row.recording_uuid}: {outcome.error}")
        elif outcome.status == download.DELETED:
            click.echo(
                f"deleted  CDR {row.cdr_id} recording {row.recording_uuid}: "
                "deleted on the server, not downloaded"
            )
    click.echo(
        f"{summary.count(download.DOWNLOADED)} files downloaded ({_size(summary.bytes)}), "
        f"{summary.count(download.SKIPPED)} skipped (already there), "
        f"{summary.count(download.DELETED)} deleted on the server, "
        f"{summary.count(download.FAILED)} failed"
    )


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


# -- delete ----------------------------------------------------------------------------------


@recordings.command("delete")
@click.argument("cdr_id", type=int, required=False)
@click.argument("recording_uuid", required=False)
@_selection_options(listing=False)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1000),
    default=deletion.DEFAULT_BATCH_SIZE,
    show_default=True,
    help="CDRs per bulk DELETE request.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed off a terminal).")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted, delete nothing.")
@output_option
def delete_command(
    cdr_id: int | None,
    recording_uuid: str | None,
    batch_size: int,
    yes: bool,
    dry_run: bool,
    output: str,
    **selection: Any,
) -> None:
    """Delete one recording, one CDR's recordings, or every recording of a window.

    \b
    Shows what would go, then asks on a terminal (--yes to skip; refused off a terminal
    without --yes). In bulk, CDRs go in batches through DELETE /cdr/recordings/media,
    which is all-or-nothing per batch. The first failed batch stops the run: the batches
    before it are deleted, the failed one and those after it are not; re-run to finish.
    """
    zone = local_timezone()
    single = _is_single(cdr_id, recording_uuid, selection)

    with app().connect() as wazo:
        if single:
            assert cdr_id is not None
            rows = _rows_of_one_cdr(wazo, zone, cdr_id, recording_uuid, selection["tenant"])
        else:
            rows = list(list_recordings(wazo, _query(wazo, zone, **selection), zone))
        plan = deletion.plan_deletion(rows, batch_size)
        one_recording = single and recording_uuid is not None

        if not plan.rows:
            if output == "json":
                emit_json(plan.as_json() | {"dry_run": dry_run})
            else:
                click.echo("nothing to delete (no recording, or all already deleted)")
            return

        _preview(plan, output, one_recording=one_recording)
        if dry_run:
            if output == "json":
                emit_json(plan.as_json() | {"dry_run": True})
            else:
                click.echo("dry run: nothing deleted")
            return
        _confirm(plan, yes)

        if one_recording:
            deletion.run_single(wazo, plan)
        else:
            deletion.run_deletion(wazo, plan)

    if output == "json":
        emit_json(plan.as_json() | {"dry_run": False})
    else:
        _print_deletion_report(plan)
    if not plan.ok:
        raise click.exceptions.Exit(1)


def _preview(plan: deletion.DeletionPlan, output: str, *, one_recording: bool) -> None:
    # with --output json, stdout is for the final document only
    err = output == "json"
    _print_rows(plan.rows, err=err)
    if one_recording:
        click.echo("would delete 1 recording", err=err)
    else:
        click.echo(
            f"would delete {len(plan.rows)} recordings of {plan.cdr_count} CDRs "
            f"in {len(plan.batches)} batch(es)",
            err=err,
        )


def _confirm(plan: deletion.DeletionPlan, yes: bool) -> None:
    if yes:
        return
    if not is_tty():
        raise SafetyRefused(
            f"refusing to delete {len(plan.rows)} recordings without confirmation: not on a "
            "terminal and no --yes; nothing deleted (see --dry-run)"
        )
    click.confirm(f"Delete these {len(plan.rows)} recordings?", abort=True, err=True)


def _print_deletion_report(plan: deletion.DeletionPlan) -> None:
    total = len(plan.batches)
    for batch in plan.batches:
        if batch.status == deletion.FAILED:
            click.echo(
                f"batch {batch.index}/{total} failed (CDRs {_id_span(batch.cdr_ids)}, "
                f"tenant {batch.tenant_uuid}): {batch.error}"
            )
    not_attempted = [b for b in plan.batches if b.status == deletion.NOT_ATTEMPTED]
    if not_attempted:
        click.echo(
            f"{len(not_attempted)} batch(es) not attempted after the failure "
            f"({sum(b.recordings for b in not_attempted)} recordings kept)"
        )
    done = [b for b in plan.batches if b.status == deletion.DONE]
    click.echo(
        f"deleted {plan.deleted_recordings()} of {len(plan.rows)} recordings "
        f"({len(done)}/{total} batches)"
    )


def _id_span(ids: list[int]) -> str:
    return f"{min(ids)}..{max(ids)}" if len(ids) > 1 else str(ids[0])
