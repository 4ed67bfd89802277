"""What a mirror run tells the job shell: events and metrics, from the run's report.

`mirror.delivered` for each recording this run delivered (with every location and sidecar),
`mirror.failed` for each one that failed or that the stack lost; after a run that was killed
before it could tell anyone, the recordings it delivered are announced by the next one.
"""

from __future__ import annotations

from datetime import datetime

from ..jobs import events as ev
from ..jobs.report import JobOutcome
from .job import MirrorReport
from .journal import MirrorJournal, Recording
from .layout import sidecar_key

JOB = "mirror"


def _recording_data(rec: Recording) -> dict:
    return {
        "uuid": rec.recording_uuid,
        "cdr_id": rec.cdr_id,
        "start": rec.start_time,
        "end": rec.end_time,
        "key": rec.key,
    }


def _delivered(outcome: JobOutcome, at: datetime, rec: Recording) -> None:
    locations = list(rec.delivered_to.values())
    outcome.events.append(
        ev.mirror_delivered(
            at,
            tenant=ev.tenant_data(rec.tenant_uuid, rec.tenant_slug),
            recording=_recording_data(rec),
            size=rec.size or 0,
            sha256=rec.sealed_sha256 or rec.sha256 or "",
            locations=locations,
            sidecars=[sidecar_key(location) for location in locations],
        )
    )


def mirror_outcome(
    report: MirrorReport,
    journal: MirrorJournal | None,
    at: datetime,
    *,
    since: datetime | None = None,
) -> JobOutcome:
    outcome = JobOutcome(ok=report.ok)
    metrics = outcome.metrics
    announced: set[tuple[str, str]] = set()
    for result in report.tenants:
        slug = result.tenant.slug
        labels = {"tenant": slug}
        outcome.tenants[slug] = result.ok
        if report.dry_run:
            continue
        for rec in result.delivered:
            _delivered(outcome, at, rec)
            announced.add((rec.tenant_uuid, rec.recording_uuid))
        if result.delivered:
            metrics.inc("wazo_rec_mirror_recordings_delivered_total", labels, len(result.delivered))
            size = sum(rec.size or 0 for rec in result.delivered)
            metrics.inc("wazo_rec_mirror_delivered_bytes_total", labels, size)
        failed = [(rec, error) for rec, error in result.failed]
        failed += [(rec, rec.last_error or "lost on the stack") for rec in result.lost]
        for rec, error in failed:
            outcome.errors.append(
                f"{slug}: cdr {rec.cdr_id} recording {rec.recording_uuid}: {error}"
            )
            outcome.events.append(
                ev.mirror_failed(
                    at,
                    tenant=ev.tenant_data(rec.tenant_uuid, slug),
                    recording=_recording_data(rec),
                    error=error,
                    attempts=rec.attempts,
                )
            )
        if failed:
            metrics.inc("wazo_rec_failures_total", {"job": JOB, "tenant": slug}, len(failed))
        outcome.errors += [f"{slug}: {error}" for error in result.errors]
        metrics.gauge("wazo_rec_mirror_recordings_given_up", labels, result.given_up)
    if since is not None and journal is not None and not report.dry_run:
        for rec in journal.delivered_since(since):
            if (rec.tenant_uuid, rec.recording_uuid) not in announced:
                _delivered(outcome, at, rec)
    outcome.summary = {
        "delivered": report.count("delivered"),
        "failed": report.count("failed"),
        "gone": report.count("gone"),
        "deleted": report.count("deleted"),
    }
    return outcome
