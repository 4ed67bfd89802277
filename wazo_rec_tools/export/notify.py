"""What an export run tells the job shell: events and metrics, from the run's outcomes.

`export.delivered` for each window delivered by this run (with its journal entry: counts,
size, sha256, every location and manifest), `export.failed` for each window left undone.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from ..jobs import events as ev
from ..jobs.report import JobOutcome
from .layout import manifest_key

JOB = "export"
UNDONE = ("failed", "pending", "gave-up")


def export_outcome(
    report: Any,
    journal: Any,
    at: datetime,
    *,
    dry_run: bool = False,
    since: datetime | None = None,
) -> JobOutcome:
    """`report`: `ExportJob.run`'s result; `journal`: where each window's entry is read.

    `since`: the start of an earlier run killed before it announced anything; the windows
    the journal says were delivered since then are announced too.
    """
    outcome = JobOutcome(ok=bool(report.ok))
    metrics = outcome.metrics
    metrics.reset.add("wazo_rec_export_windows_pending")
    pending: Counter[str] = Counter()
    announced: set[tuple[str, tuple[str, str]]] = set()
    for item in report.outcomes:
        slug = item.tenant.slug
        tenant = ev.tenant_data(item.tenant.uuid, slug)
        window = ev.window_data(item.window.start, item.window.end)
        outcome.tenants.setdefault(slug, True)
        pending.setdefault(slug, 0)
        if dry_run:
            if item.status == "would-run":
                outcome.events.append(_would(at, tenant, window))
            continue
        if getattr(item, "failed", item.status in UNDONE):
            pending[slug] += 1
            outcome.tenants[slug] = False
            error = f"{slug} {item.window.label}: {item.detail}"
            outcome.errors.append(error)
            entry = _entry(item, journal)
            outcome.events.append(
                ev.export_failed(
                    at,
                    tenant=tenant,
                    window=window,
                    status=item.status,
                    error=item.detail,
                    attempts=getattr(entry, "attempts", None),
                )
            )
            metrics.inc("wazo_rec_failures_total", {"job": JOB, "tenant": slug})
            continue
        if item.status != "delivered" or item.detail == "already done":
            continue
        entry = _entry(item, journal)
        if entry is not None:
            _delivered(outcome, at, tenant, window, entry, getattr(item, "manifests", None))
            announced.add((item.tenant.uuid, item.window.key))
    if since is not None and journal is not None and not dry_run:
        for entry in journal.entries():
            key = (entry.tenant_uuid, entry.window.key)
            if entry.status != "delivered" or key in announced or not entry.delivered_at:
                continue
            if datetime.fromisoformat(entry.delivered_at) >= since.replace(microsecond=0):
                tenant = ev.tenant_data(entry.tenant_uuid, entry.tenant_slug)
                window = ev.window_data(entry.window.start, entry.window.end)
                _delivered(outcome, at, tenant, window, entry)
    for slug, n in pending.items():
        metrics.gauge("wazo_rec_export_windows_pending", {"tenant": slug}, n)
    counts = Counter(item.status for item in report.outcomes)
    outcome.summary = {"windows": dict(sorted(counts.items()))}
    if dry_run:
        outcome.metrics.reset.clear()
    return outcome


def _delivered(
    outcome: JobOutcome,
    at: datetime,
    tenant: dict,
    window: dict,
    entry: Any,
    manifests: list[str] | None = None,
) -> None:
    """`manifests`: where this run delivered the manifests, when the outcome says so."""
    locations = list(entry.locations)
    outcome.events.append(
        ev.export_delivered(
            at,
            tenant=tenant,
            window=window,
            recordings=entry.recordings,
            size=entry.size,
            sha256=entry.sha256,
            locations=locations,
            manifests=list(manifests) if manifests else _manifests(entry, locations),
        )
    )
    labels = {"tenant": tenant["slug"]}
    metrics = outcome.metrics
    metrics.inc("wazo_rec_export_windows_delivered_total", labels)
    metrics.inc("wazo_rec_export_recordings_delivered_total", labels, entry.recordings or 0)
    metrics.inc("wazo_rec_export_delivered_bytes_total", labels, entry.size or 0)


def _entry(item: Any, journal: Any) -> Any:
    """The window's journal entry: carried by the outcome, else read from the journal."""
    entry = getattr(item, "entry", None)
    if entry is None and journal is not None:
        entry = journal.get(item.tenant.uuid, item.window)
    return entry


def _manifests(entry: Any, locations: list[str]) -> list[str]:
    """Where each destination holds the manifest: the entry's own record of it when it has
    one (a URL per destination), else beside each archive, as every destination lays it."""
    given = getattr(entry, "manifests", None) or getattr(entry, "manifest", None)
    if isinstance(given, str):
        given = [given]
    if isinstance(given, list | tuple) and given and all("://" in str(g) for g in given):
        return [str(g) for g in given]
    return [manifest_key(location) for location in locations]


def _would(at: datetime, tenant: dict, window: dict) -> ev.Event:
    """A dry run's event: what would be announced if the window were delivered."""
    return ev.Event(ev.EXPORT_DELIVERED, at, {"job": JOB, "tenant": tenant, "window": window})
