"""`wazo-rec export run`: launch, wait for, download, check and deliver call-logd exports.

Per tenant and due window the journal row moves planned -> launched -> ready -> downloaded ->
delivered (or empty, or failed). The intent is journaled before the POST and each step once
done, so a killed run resumes where it stopped: a launched export is polled, never launched
again; a downloaded archive whose sha256 still matches is delivered, never downloaded again.
Which step comes next is `steps.next_step`; a run plans every window first, then executes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import ExportConfig
from ..destinations import Destination, DestinationError, StateUploads
from ..destinations.encryption import SUFFIX, Encryption
from ..durable import sha256_of, write_json
from ..jobs.folders import check_writable, not_writable
from ..jobs.tenants import Tenant, chosen_tenants
from ..localzone import local_timezone
from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from .journal import Entry, Journal
from .layout import archive_key, manifest_key
from .manifest import ArchiveInvalid, build_manifest, check_archive, expected_recordings
from .progress import Reporter, human_size
from .steps import Step, describe, give_up_text, next_step
from .windows import Window, due_windows

MAX_ATTEMPTS = 3  # launches of one window before the timer stops retrying it


@dataclass(frozen=True)
class PollPolicy:
    """How an export is waited for: growing intervals, and a deadline per run
    (docs/wazo-api.md, call-logd §3: a dead worker leaves an export pending forever)."""

    first: float = 0.5
    factor: float = 1.5
    longest: float = 15.0
    deadline: float = 2 * 3600.0


@dataclass
class Outcome:
    """What happened to one tenant's window in this run.

    `entry` is the window's journal row after the run (tenant, bounds, recordings, size,
    sha256, archive locations); `manifests` the manifest locations delivered by this run.
    """

    tenant: Tenant
    window: Window
    status: str  # a journal status, or "pending" (transient error), "gave-up", "would-..."
    detail: str = ""
    entry: Entry | None = None
    manifests: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "pending", "gave-up", "planned")

    def as_dict(self) -> dict:
        entry = self.entry
        return {
            "tenant": self.tenant.as_dict(),
            "window": {
                "from": self.window.start.isoformat(),
                "until": self.window.end.isoformat(),
                "label": self.window.label,
            },
            "status": self.status,
            "detail": self.detail,
            "recordings": entry.recordings if entry else None,
            "size": entry.size if entry else None,
            "sha256": entry.sha256 if entry else None,
            "locations": list(entry.locations) if entry else [],
            "manifests": list(self.manifests),
            "attempts": entry.attempts if entry else 0,
            "export_uuid": entry.export_uuid if entry else None,
        }


@dataclass
class RunReport:
    """The result of a run: one outcome per window worked on, in order."""

    outcomes: list[Outcome] = field(default_factory=list)
    plan: list[Planned] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(o.failed for o in self.outcomes)

    @property
    def left_behind(self) -> list[Outcome]:
        """The due windows this run leaves undone (the run exits 1 and names them)."""
        return [o for o in self.outcomes if o.failed]

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "windows": [o.as_dict() for o in self.outcomes],
            "left_due": [o.as_dict() for o in self.left_behind],
        }


@dataclass(frozen=True)
class Planned:
    """One window of the run and its next step, decided before anything is done."""

    tenant: Tenant
    window: Window
    step: Step
    entry: Entry | None

    @property
    def where(self) -> str:
        return f"{self.tenant.slug} {self.window.label}"


@dataclass(frozen=True)
class _Outgoing:
    path: Path
    key: str
    sha256: str
    plain_sha256: str | None  # when `path` is an encrypted copy


class ExportFailed(Exception):
    """The export of a window cannot complete this way; it is launched again next run."""


class ExportGone(ExportFailed):
    """call-logd no longer has the export (purged or lost): only a new launch can help."""


def export_zone(name: str | None) -> tzinfo:
    """`export.timezone`, else the system's zone."""
    return ZoneInfo(name) if name else local_timezone()


def due_for(
    journal: Journal, tenant_uuid: str, now: datetime, settings: ExportConfig, zone: tzinfo
) -> list[Window]:
    """The tenant's due scheduled windows, oldest first: the rows still to work on, and the
    time no row covers yet (the holes and everything since the last one)."""
    windows = {e.window.key: e.window for e in journal.unfinished(tenant_uuid)}
    fresh = due_windows(
        now,
        settings.schedule,
        zone,
        settings.catch_up,
        journal.covered(tenant_uuid),
        journal.given_up_until(tenant_uuid),
    )
    for window in fresh.windows:
        windows.setdefault(window.key, window)
    return sorted(windows.values(), key=lambda w: w.key)


@dataclass(frozen=True)
class Pending:
    """A due window not exported yet, and why (what `export status` shows)."""

    tenant_uuid: str
    tenant_slug: str
    window: Window
    status: str  # the journal status, or "due" (no row yet)
    why: str

    def as_dict(self) -> dict:
        return {
            "tenant_uuid": self.tenant_uuid,
            "tenant_slug": self.tenant_slug,
            "from": self.window.start.isoformat(),
            "until": self.window.end.isoformat(),
            "status": self.status,
            "why": self.why,
        }


def pending_windows(
    journal: Journal,
    now: datetime,
    settings: ExportConfig,
    zone: tzinfo,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[Pending]:
    """Every due window of the tenants the journal knows, with the reason it is not done."""
    found = []
    for tenant_uuid, slug in journal.tenants():
        for window in due_for(journal, tenant_uuid, now, settings, zone):
            entry = journal.get(tenant_uuid, window)
            found.append(Pending(tenant_uuid, slug, window, *_why(entry, max_attempts)))
    return found


def _why(entry: Entry | None, max_attempts: int) -> tuple[str, str]:
    if entry is None:
        return "due", "not launched yet: the next run exports it"
    last = f" (last error: {entry.last_error})" if entry.last_error else ""
    if entry.status == "planned":
        return entry.status, f"the launch got no answer{last}; the next run launches it"
    if entry.status == "failed":
        if entry.attempts >= max_attempts:
            return entry.status, give_up_text(entry)
        return entry.status, f"{entry.last_error}; the next run launches it again"
    if entry.status == "launched":
        return entry.status, f"export {entry.export_uuid} launched{last}; the next run polls it"
    if entry.status == "ready":
        return entry.status, f"export {entry.export_uuid} finished{last}; the next run downloads it"
    return entry.status, f"archive in the spool{last}; the next run delivers it"


class ExportJob:
    def __init__(
        self,
        wazo: Wazo,
        settings: ExportConfig,
        journal: Journal | None,
        destinations: list[Destination],
        reporter: Reporter,
        *,
        zone: tzinfo,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll: PollPolicy | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        encryption: Encryption | None = None,
        deliveries: StateUploads | None = None,
    ):
        self.wazo = wazo
        self.encryption = encryption
        self.deliveries = deliveries  # what was stored where, with both sha256 when encrypted
        self.settings = settings
        self.journal = journal  # None in a dry run without any journal yet
        self.destinations = destinations
        self.reporter = reporter
        self.zone = zone
        self.now = now
        self.poll = poll or PollPolicy()
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.spool = Path(settings.state_dir) / "spool"
        self._exports: dict[str, dict] = {}

    # -- the run -------------------------------------------------------------------------

    def run(
        self,
        *,
        tenants: list[str] | None = None,
        window: Window | None = None,
        dry_run: bool = False,
    ) -> RunReport:
        """Plan the run (every due window and its next step), then execute it, or only say
        it with `dry_run`."""
        plan = self.plan(self.resolve_tenants(tenants), window)
        report = RunReport(plan=plan)
        if not plan:
            self.reporter.info("export: nothing to do, every window is already exported")
        if dry_run:
            for item in plan:
                what = describe(item.step, item.entry)
                self.reporter.info(f"{item.where}: {what}")
                report.outcomes.append(Outcome(item.tenant, item.window, "would-run", what))
            return report
        self._sweep()
        self._plan_launches(plan)
        # Launch everything first: call-logd builds the archives while earlier ones download.
        ongoing: list[Planned] = []
        for item in plan:
            if item.step is Step.GIVE_UP:
                assert item.entry is not None
                text = give_up_text(item.entry)
                self.reporter.error(f"{item.where}: {text}")
                report.outcomes.append(
                    Outcome(item.tenant, item.window, "gave-up", text, item.entry)
                )
            elif item.step is Step.DONE:
                assert item.entry is not None
                self.reporter.info(f"{item.where}: already {item.entry.status}")
                report.outcomes.append(
                    Outcome(item.tenant, item.window, item.entry.status, "already done", item.entry)
                )
            elif item.step is Step.LAUNCH:
                outcome = self._guard(item, self._launch)
                if outcome is None:
                    ongoing.append(item)
                else:
                    report.outcomes.append(outcome)
            else:
                ongoing.append(item)
        for item in ongoing:
            outcome = self._guard(item, self._complete)
            assert outcome is not None
            report.outcomes.append(outcome)
        return report

    def plan(self, tenants: list[Tenant], one_off: Window | None = None) -> list[Planned]:
        """Every window due for these tenants (or the one-off window), with its next step."""
        plan = []
        for tenant in tenants:
            windows = [one_off] if one_off is not None else self._due(tenant)
            for due in windows:
                entry = self.journal.get(tenant.uuid, due) if self.journal else None
                step = next_step(
                    entry,
                    spool_intact=entry is not None and self._archive_ready(entry),
                    # a window asked for by --from/--until is tried whatever its history
                    max_attempts=None if one_off is not None else self.max_attempts,
                )
                plan.append(Planned(tenant, due, step, entry))
        return plan

    def resolve_tenants(self, refs: list[str] | None) -> list[Tenant]:
        """The tenants to export: --tenant, else export.tenants (`all`: every visible one)."""
        return chosen_tenants(self.wazo, refs, self.settings.tenants)

    def _due(self, tenant: Tenant) -> list[Window]:
        """The tenant's due scheduled windows: the rows still to work on, and the time no row
        covers yet (the holes and everything since the last one)."""
        journal = self.journal
        windows = (
            {e.window.key: e.window for e in journal.unfinished(tenant.uuid)} if journal else {}
        )
        fresh = due_windows(
            self.now(),
            self.settings.schedule,
            self.zone,
            self.settings.catch_up,
            journal.covered(tenant.uuid) if journal else (),
            journal.given_up_until(tenant.uuid) if journal else None,
        )
        for window in fresh.windows:
            windows.setdefault(window.key, window)
        return sorted(windows.values(), key=lambda w: w.key)

    def _plan_launches(self, plan: list[Planned]) -> None:
        """Journal the intent of every launch of the run, before the first POST."""
        by_tenant: dict[str, tuple[Tenant, list[Window]]] = {}
        for item in plan:
            if item.step is Step.LAUNCH:
                by_tenant.setdefault(item.tenant.uuid, (item.tenant, []))[1].append(item.window)
        for tenant, windows in by_tenant.values():
            self._journal.mark_planned(tenant.uuid, tenant.slug, windows)

    def _guard(
        self, item: Planned, step: Callable[[Tenant, Window], Outcome | None]
    ) -> Outcome | None:
        """Run one step; turn its failure into the window's outcome (the run goes on)."""
        tenant, window = item.tenant, item.window
        try:
            return step(tenant, window)
        except (ExportFailed, ArchiveInvalid, DestinationError) as exc:
            entry = self._journal.mark_failed(
                tenant.uuid, tenant.slug, window, str(exc), forget_spool=isinstance(exc, ExportGone)
            )
            self.reporter.error(f"{item.where}: failed: {exc}")
            return Outcome(tenant, window, "failed", str(exc), entry)
        except ApiError as exc:
            # transient (stack down, 5xx, token refused, dropped launch): the row keeps its
            # status, and the next run resumes it; a launch without an answer stays planned
            entry = self._journal.get(tenant.uuid, window)
            if entry is not None:
                self._journal.note_error(tenant.uuid, window, str(exc))
                entry = self._journal.get(tenant.uuid, window)
            self.reporter.error(f"{item.where}: {exc}; the next run resumes this window")
            return Outcome(tenant, window, "pending", str(exc), entry)

    @property
    def _journal(self) -> Journal:
        assert self.journal is not None, "a run that changes things has a journal"
        return self.journal

    # -- steps ---------------------------------------------------------------------------

    def _launch(self, tenant: Tenant, window: Window) -> Outcome | None:
        export_uuid = self.wazo.calllogd.create_export(
            from_=window.start,
            until=window.end,
            tenant=self._header_tenant(tenant),
            email=self.settings.email,
        )
        if export_uuid is None:  # docs/wazo-api.md, call-logd §2: 400 no-recording-to-export
            entry = self._journal.mark_empty(tenant.uuid, tenant.slug, window)
            self.reporter.info(f"{tenant.slug} {window.label}: no recording, nothing to export")
            return Outcome(tenant, window, "empty", entry=entry)
        entry = self._journal.mark_launched(tenant.uuid, tenant.slug, window, export_uuid)
        self.reporter.info(
            f"{tenant.slug} {window.label}: launched export {export_uuid} "
            f"(attempt {entry.attempts})"
        )
        return None

    def _complete(self, tenant: Tenant, window: Window) -> Outcome:
        """Wait, download, deliver: each step chosen by `next_step` from the journal row."""
        for _ in range(len(Step)):
            entry = self._journal.get(tenant.uuid, window)
            assert entry is not None
            intact = self._archive_ready(entry)
            step = next_step(entry, spool_intact=intact, max_attempts=None)
            if step is Step.WAIT:
                self._wait(tenant, window, entry)
            elif step is Step.DOWNLOAD:
                if entry.archive_path:
                    self.reporter.warning(
                        f"{tenant.slug} {window.label}: the spooled archive no longer matches "
                        f"its sha256 {(entry.sha256 or '')[:16]}; downloading it again"
                    )
                self._download(tenant, window, entry)
            elif step is Step.DELIVER:
                return self._deliver(tenant, window, entry)
            elif step is Step.DONE:
                return Outcome(tenant, window, entry.status, "already done", entry)
            else:
                raise ExportFailed(f"the export cannot go on from {entry.status}; launched again")
        raise ExportFailed("the archive could not be checked after downloading it again")

    def _wait(self, tenant: Tenant, window: Window, entry: Entry) -> None:
        export_uuid = entry.export_uuid
        assert export_uuid is not None
        started = time.monotonic()
        interval = self.poll.first
        while True:
            try:
                # docs/wazo-api.md, call-logd §4/§5: the export belongs to the token's tenant;
                # no Wazo-Tenant
                export = self.wazo.calllogd.get_export(export_uuid)
            except ApiError as exc:
                if exc.status == 404:
                    raise ExportGone(
                        f"export {export_uuid} no longer exists on call-logd "
                        "(purged after export_days, or lost); it is launched again next run"
                    ) from None
                raise
            status = export.get("status")
            if status == "finished":
                self._exports[export_uuid] = export
                self._journal.mark_ready(tenant.uuid, window)
                return
            if status == "error":
                raise ExportFailed(f"call-logd export {export_uuid} ended in error")
            if status not in ("pending", "processing"):
                raise ExportFailed(f"call-logd export {export_uuid} has status {status!r}")
            waited = time.monotonic() - started
            if waited >= self.poll.deadline:
                raise ExportFailed(
                    f"call-logd export {export_uuid} still {status} after {waited:.0f}s "
                    "(is call-logd's export worker running? see its /status task_queue)"
                )
            self.sleep(min(interval, self.poll.deadline - waited))
            interval = min(interval * self.poll.factor, self.poll.longest)

    def _download(self, tenant: Tenant, window: Window, entry: Entry) -> Entry:
        export_uuid = entry.export_uuid
        assert export_uuid is not None
        self.spool.mkdir(parents=True, exist_ok=True, mode=0o750)
        stem = f"{tenant.uuid}_{window.label}"
        archive = self.spool / f"{stem}.zip"
        manifest = self.spool / f"{stem}.zip.manifest.json"
        where = f"{tenant.slug} {window.label}"
        progress = self.reporter.transfer(where)
        try:
            # published in the spool only once complete (durable.stream_into)
            download = self.wazo.calllogd.download_export(export_uuid, archive, progress=progress)
        except ApiError as exc:
            # docs/wazo-api.md, call-logd §5: what a failed or purged export answers
            if exc.status == 404:
                raise ExportGone(
                    f"export {export_uuid} cannot be downloaded (404 {exc.message})"
                ) from None
            raise
        finally:
            self.reporter.done()
        try:
            cdrs = self.wazo.calllogd.cdrs(
                tenant=self._header_tenant(tenant),
                from_=window.start,
                until=window.end,
                recorded=True,
            )
            recordings = expected_recordings(cdrs)
            entries = check_archive(archive, recordings)
            export = self._exports.get(export_uuid) or self.wazo.calllogd.get_export(export_uuid)
            key = self._key(tenant, window)
            write_json(
                manifest,
                build_manifest(
                    tenant=tenant.as_dict(),
                    window=window,
                    export=export,
                    archive_name=Path(key).name,
                    archive_size=download.size,
                    archive_sha256=download.sha256,
                    recordings=recordings,
                    entries=entries,
                ),
            )
        except BaseException:
            archive.unlink(missing_ok=True)
            manifest.unlink(missing_ok=True)
            raise
        entry = self._journal.mark_downloaded(
            tenant.uuid,
            window,
            archive_path=archive,
            manifest_path=manifest,
            size=download.size,
            sha256=download.sha256,
            recordings=len(recordings),
        )
        self.reporter.info(
            f"{where}: archive checked: {len(recordings)} recording(s), "
            f"{human_size(download.size)}, sha256 {download.sha256[:16]}"
        )
        return entry

    def _deliver(self, tenant: Tenant, window: Window, entry: Entry) -> Outcome:
        """Copy the checked archive and its manifest to every destination, then journal it."""
        assert entry.archive_path and entry.manifest_path and entry.sha256
        archive = Path(entry.archive_path)
        manifest = Path(entry.manifest_path)
        key = self._key(tenant, window)
        files = self._outgoing(archive, manifest, key, entry.sha256)
        locations, manifests = [], []
        for destination in self.destinations:
            for item in files:
                location = destination.deliver(item.path, item.key, item.sha256)
                if self.deliveries is not None:
                    self.deliveries.record_object(
                        destination.url,
                        item.key,
                        sha256=item.sha256,
                        plain_sha256=item.plain_sha256,
                        size=item.path.stat().st_size,
                        location=location,
                    )
            locations.append(destination.location(files[0].key))
            manifests.append(destination.location(files[1].key))
        entry = self._journal.mark_delivered(tenant.uuid, window, locations)
        for path in {archive, manifest, *(item.path for item in files)}:
            path.unlink(missing_ok=True)
        where = f"{tenant.slug} {window.label}"
        sealed = " (encrypted)" if self.encryption else ""
        self.reporter.info(
            f"{where}: delivered {entry.recordings} recording(s), {human_size(entry.size)}"
            f"{sealed} -> {', '.join(locations)}"
        )
        return Outcome(tenant, window, "delivered", ", ".join(locations), entry, manifests)

    def _outgoing(self, archive: Path, manifest: Path, key: str, sha256: str) -> list[_Outgoing]:
        """The files to store: the archive and its manifest, or both encrypted.

        Encrypted copies stay in the spool until every destination has them: age output is
        random, so a resumed delivery must send the very bytes it sent before.
        """
        if self.encryption is None:
            return [
                _Outgoing(archive, key, sha256, None),
                _Outgoing(manifest, manifest_key(key), sha256_of(manifest), None),
            ]
        sealed_archive = archive.with_name(archive.name + SUFFIX)
        sealed_manifest = manifest.with_name(manifest.name + SUFFIX)
        if sealed_archive.exists() and sealed_manifest.exists():
            data = json.loads(manifest.read_text())
            return [
                _Outgoing(sealed_archive, key + SUFFIX, sha256_of(sealed_archive), sha256),
                _Outgoing(
                    sealed_manifest,
                    manifest_key(key) + SUFFIX,
                    sha256_of(sealed_manifest),
                    data.get("sealed_manifest_plain_sha256"),
                ),
            ]
        archive_sha, archive_size = self.encryption.encrypt_file(archive, sealed_archive)
        data = json.loads(manifest.read_text())
        # the manifest keeps both: what the recordings are, and what the bucket holds
        data["encryption"] = {
            "format": "age",
            "recipients": list(self.encryption.recipients),
            "archive": {
                "file": Path(key).name + SUFFIX,
                "size": archive_size,
                "sha256": archive_sha,
            },
        }
        payload = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
        plain_manifest_sha = hashlib.sha256(payload).hexdigest()
        # remembered (before the sealed copy exists) for a resumed run, which re-reads the
        # spool's plain manifest; that one is never delivered when encryption is on
        write_json(
            manifest,
            {
                **json.loads(manifest.read_text()),
                "sealed_manifest_plain_sha256": plain_manifest_sha,
            },
        )
        manifest_sha, _ = self.encryption.encrypt_bytes(payload, sealed_manifest)
        return [
            _Outgoing(sealed_archive, key + SUFFIX, archive_sha, sha256),
            _Outgoing(
                sealed_manifest, manifest_key(key) + SUFFIX, manifest_sha, plain_manifest_sha
            ),
        ]

    # -- pieces --------------------------------------------------------------------------

    def _header_tenant(self, tenant: Tenant) -> str | None:
        """Wazo-Tenant for a sub-tenant; none for the token's own tenant."""
        return None if tenant.uuid == self.wazo.token_tenant else tenant.uuid

    def _key(self, tenant: Tenant, window: Window) -> str:
        return archive_key(tenant.slug, window.start.year, window.label)

    def _archive_ready(self, entry: Entry) -> bool:
        """The checked archive and its manifest are still in the spool, intact: the archive
        hashes to the journaled sha256 (a size alone misses a flipped byte), and the manifest
        reads and names that sha256."""
        if not (entry.archive_path and entry.manifest_path and entry.sha256):
            return False
        archive, manifest = Path(entry.archive_path), Path(entry.manifest_path)
        try:
            if archive.stat().st_size != entry.size or sha256_of(archive) != entry.sha256:
                return False
            described = json.loads(manifest.read_bytes())
        except (OSError, ValueError):
            return False
        return (
            isinstance(described, dict)
            and (described.get("archive") or {}).get("sha256") == entry.sha256
        )

    def _sweep(self) -> None:
        """Remove what a killed run left: partial downloads and archives already delivered in
        the spool, temporary copies in the destinations (runs are serialised by the lock)."""
        try:
            self.spool.mkdir(exist_ok=True, mode=0o750)
        except PermissionError:
            raise not_writable(self.spool.parent, "the state directory") from None
        check_writable(self.spool, "the spool")
        for destination in self.destinations:
            for leftover in destination.sweep():
                self.reporter.info(f"removed {leftover}, left by an interrupted delivery")
        keep = set()
        for entry in self._journal.entries():
            for p in (entry.archive_path, entry.manifest_path):
                if p:
                    keep.update((p, p + SUFFIX))  # encrypted copies wait for every destination
        for path in self.spool.iterdir():
            if str(path) not in keep:
                path.unlink(missing_ok=True)
