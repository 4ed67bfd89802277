"""`wazo-rec mirror run|status|backfill|retry`: every recording in your storage after the call."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import click

from .. import secrets
from ..config import destination_specs
from ..destinations import StateUploads, open_destination
from ..destinations.encryption import Encryption
from ..errors import UserError
from ..export.progress import LineReporter, TtyReporter
from ..jobs.lock import JobLock
from ..jobs.report import JobOutcome
from ..jobs.shell import JobShell, RunContext
from ..jobs.state import DB_NAME, open_state
from ..jobs.tenants import chosen_tenants
from ..localzone import local_timezone
from ..mirror.job import MirrorJob, MirrorReport
from ..mirror.journal import STATUSES, MirrorJournal
from ..mirror.notify import mirror_outcome
from ..wazo.stack import Wazo
from . import main
from .context import app, emit_json, is_tty, output_option, table
from .moments import MOMENT, aware, ordered

LOCK_JOB = "mirror"


@main.group()
def mirror() -> None:
    """Per-recording delivery: each recording and its JSON sidecar, minutes after the call."""


def _connect() -> Wazo:
    """The service account's refresh token when there is one, else the admin credentials."""
    config = app().config
    return app().connect(as_="service" if secrets.has_refresh_token(config) else "any")


def _state_dir() -> Path:
    return Path(app().config.export.state_dir)


@mirror.command("run")
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="T",
    help="Only this tenant (uuid or slug; repeatable) [default: mirror.tenants].",
)
@click.option("--dry-run", is_flag=True, help="Say what would be fetched and deleted.")
@output_option
def run_command(tenants: tuple[str, ...], dry_run: bool, output: str) -> None:
    """Deliver every new recording (the timer's job, every 5 minutes).

    Lists the recorded CDRs written since the last run, downloads each new recording, uploads
    it with its JSON sidecar to every mirror destination, and journals each step; with
    mirror.delete_after_delivery, deletes on the stack what every destination holds.

    \b
    Exit status 1 when something could not be delivered (it is retried with backoff).
    """
    config = app().config
    settings = config.mirror
    specs = destination_specs(settings)
    sealing = Encryption(tuple(config.encryption.age_recipients)) if config.encryption else None
    if not specs:
        raise UserError(
            f"{config.where('mirror')}: mirror.destinations is empty: list where the recordings go"
        )
    if output == "json":  # the progress lines go to stderr, the report alone to stdout
        reporter: LineReporter = LineReporter(sys.stderr, sys.stderr)
    else:
        reporter = TtyReporter() if is_tty() else LineReporter()
    state_dir = _state_dir()
    chosen = list(tenants) or None
    reports: list[MirrorReport] = []

    def work(run: RunContext) -> JobOutcome:
        log = run.reporter
        journal = None
        uploads = None
        destinations = []
        if not dry_run or (state_dir / DB_NAME).exists():
            journal = MirrorJournal.open(state_dir, create=not dry_run)
        try:
            if not dry_run:
                # every destination opened (SDK, secret) before any work: a bad one stops now
                uploads = SharedUploads(StateUploads(open_state(state_dir, shared=True)))
                destinations = [open_destination(spec, uploads=uploads) for spec in specs]
            with _connect() as wazo:
                job = MirrorJob(
                    wazo,
                    settings,
                    journal,
                    destinations,
                    log,
                    state_dir=state_dir,
                    encryption=sealing,
                    urls=[spec.url for spec in specs],
                )
                report = job.run(tenants=chosen, dry_run=dry_run)
            reports.append(report)
            if dry_run:
                for line in report.planned:
                    log.info(line)
            elif output != "json":
                log.info(summary(report))
            return mirror_outcome(report, journal, datetime.now(UTC), since=run.interrupted_since)
        finally:
            for destination in destinations:
                destination.close()
            if uploads is not None:
                uploads.close()
            if journal is not None:
                journal.close()

    # the job shell holds the mirror lock, pings, sends the events, writes the metrics
    shell = JobShell(LOCK_JOB, config, what="mirror run", reporter=reporter, dry_run=dry_run)
    ok = shell.run(work).ok
    if output == "json":
        emit_json(reports[0].as_json())
    if not ok:
        raise click.exceptions.Exit(1)


class SharedUploads:
    """The uploads journal of the run's threads: one call at a time on its connection."""

    def __init__(self, inner: StateUploads):
        self.inner = inner
        self._lock = threading.Lock()

    def find(self, destination: str, key: str):
        with self._lock:
            return self.inner.find(destination, key)

    def start(self, destination: str, key: str, upload_id: str, sha256: str) -> None:
        with self._lock:
            self.inner.start(destination, key, upload_id, sha256)

    def forget(self, destination: str, key: str) -> None:
        with self._lock:
            self.inner.forget(destination, key)

    def close(self) -> None:
        self.inner.conn.close()


def summary(report: MirrorReport) -> str:
    parts = [
        f"{report.count(what)} {label}"
        for what, label in (
            ("delivered", "delivered"),
            ("failed", "failed"),
            ("gone", "gone"),
            ("deleted", "deleted on the stack"),
        )
        if report.count(what)
    ]
    given_up = sum(t.given_up for t in report.tenants)
    if given_up:
        parts.append(f"{given_up} given up (see `wazo-rec mirror status`)")
    errors = [f"{t.tenant.slug}: {e}" for t in report.tenants for e in t.errors]
    verdict = "done" if report.ok else "FAILED"
    text = f"mirror: {verdict}: {', '.join(parts) if parts else 'nothing new'}"
    return "\n".join([text, *errors])


@mirror.command("status")
@output_option
def status_command(output: str) -> None:
    """Per tenant: the cursor, recordings per status, the newest delivery, the failures."""
    state_dir = _state_dir()
    if not (state_dir / DB_NAME).exists():
        if output == "json":
            emit_json({"journal": str(state_dir / DB_NAME), "tenants": []})
        else:
            click.echo(f"the mirror has not run yet (no journal at {state_dir / DB_NAME})")
        return
    settings = app().config.mirror
    now = datetime.now(UTC)
    with MirrorJournal.open(state_dir, create=False) as journal:
        cursors = journal.cursors()
        counts = journal.counts()
        tenants = []
        for uuid, slug in sorted(journal.tenants().items(), key=lambda kv: kv[1]):
            newest = journal.newest_delivered(uuid)
            age = None
            if newest is not None:
                ended = datetime.fromisoformat(newest.end_time or newest.start_time)
                age = max(0, int((now - ended).total_seconds()))
            failures = [
                dict(r.as_json(), given_up=r.given_up(settings.max_attempts))
                for r in journal.recordings(uuid, "failed")
            ]
            gone = [r.as_json() for r in journal.recordings(uuid, "gone")]
            cursor = cursors.get(uuid)
            tenants.append(
                {
                    "tenant": {"uuid": uuid, "slug": slug},
                    "cursor": None
                    if cursor is None
                    else {"next_cdr_id": cursor[1], "updated_at": cursor[2]},
                    "counts": {s: counts.get(uuid, {}).get(s, 0) for s in STATUSES},
                    "newest_delivered_age_seconds": age,
                    "failures": failures,
                    "gone": gone,
                    "backfills": [b.as_json() for b in journal.backfills(uuid)],
                }
            )
    if output == "json":
        emit_json({"journal": str(state_dir / DB_NAME), "tenants": tenants})
        return
    rows = []
    for t in tenants:
        cursor = t["cursor"]
        age = t["newest_delivered_age_seconds"]
        rows.append(
            [
                t["tenant"]["slug"],
                "-" if cursor is None else f"cdr {cursor['next_cdr_id']}",
                *(t["counts"][s] for s in STATUSES),
                "-" if age is None else _age(age),
            ]
        )
    click.echo(table(rows, ["TENANT", "CURSOR", *(s.upper() for s in STATUSES), "NEWEST"]))
    for t in tenants:
        for f in t["failures"]:
            state = "given up" if f["given_up"] else f"next try {f['next_attempt_at']}"
            click.echo(
                f"{t['tenant']['slug']}: cdr {f['cdr_id']} recording {f['recording_uuid']}: "
                f"failed {f['attempts']}x ({state}): {f['last_error']}"
            )
        for g in t["gone"]:
            click.echo(
                f"{t['tenant']['slug']}: cdr {g['cdr_id']} recording {g['recording_uuid']}: "
                f"gone: {g['last_error']}"
            )
        for b in t["backfills"]:
            if b["done_at"] is None:
                click.echo(f"{t['tenant']['slug']}: backfill {b['from']} → {b['until']} queued")


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    if seconds < 172800:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


@mirror.command("backfill")
@click.option(
    "--from", "from_", required=True, type=MOMENT, help="Calls started from then (inclusive)."
)
@click.option("--until", required=True, type=MOMENT, help="Calls started before then (exclusive).")
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="T",
    help="Only this tenant (uuid or slug; repeatable) [default: mirror.tenants].",
)
def backfill_command(
    from_: datetime | date, until: datetime | date, tenants: tuple[str, ...]
) -> None:
    """Queue an older span of calls: the next runs deliver its recordings.

    A date or a time without an offset is in the system's time zone. Recordings already
    delivered are not delivered again.
    """
    zone = local_timezone()
    start, end = aware(from_, zone, "--from"), aware(until, zone, "--until")
    ordered(start, end)
    state_dir = _state_dir()
    with _connect() as wazo:
        chosen = chosen_tenants(wazo, list(tenants) or None, app().config.mirror.tenants)
    with JobLock(state_dir, LOCK_JOB, "mirror run"), MirrorJournal.open(state_dir) as journal:
        for tenant in chosen:
            journal.add_backfill(tenant.uuid, tenant.slug, start, end)
            click.echo(
                f"{tenant.slug}: calls from {start.isoformat()} until {end.isoformat()} queued"
            )


@mirror.command("retry")
@click.option("--tenant", metavar="UUID", help="Only this tenant's recordings (its uuid).")
def retry_command(tenant: str | None) -> None:
    """Give the failed recordings (given up included) a new set of attempts."""
    state_dir = _state_dir()
    with JobLock(state_dir, LOCK_JOB, "mirror run"), MirrorJournal.open(state_dir) as journal:
        count = journal.retry(tenant)
    click.echo(f"{count} failed recording(s) will be tried again by the next run")
