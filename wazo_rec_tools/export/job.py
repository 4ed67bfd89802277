"""`wazo-rec export run`: launch, wait for, download, check and deliver call-logd exports.

Per tenant and due window the journal row moves launched -> ready -> downloaded ->
delivered (or empty, or failed). Each step is journaled once done, so a killed run resumes
where it stopped: a launched export is polled, never launched again; a downloaded archive is
delivered, never downloaded again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import ExportConfig
from ..destinations import Destination, DestinationError, StateUploads
from ..destinations.encryption import SUFFIX, Encryption
from ..durable import fsync_dir, sha256_of, write_json
from ..errors import UserError
from ..localzone import local_timezone
from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from .journal import Entry, Journal
from .layout import archive_key, manifest_key
from .manifest import ArchiveInvalid, build_manifest, check_archive, expected_recordings
from .progress import Reporter, human_size
from .windows import Window, due_windows

MAX_ATTEMPTS = 3  # launches of one window before the timer stops retrying it
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass(frozen=True)
class PollPolicy:
    """How an export is waited for: growing intervals, and a deadline per run (call-logd.md §3:
    a dead worker leaves an export pending forever)."""

    first: float = 0.5
    factor: float = 1.5
    longest: float = 15.0
    deadline: float = 2 * 3600.0


@dataclass(frozen=True)
class Tenant:
    uuid: str
    slug: str
    name: str | None = None

    def as_dict(self) -> dict:
        return {"uuid": self.uuid, "slug": self.slug, "name": self.name}


@dataclass
class Outcome:
    """What happened to one tenant's window in this run."""

    tenant: Tenant
    window: Window
    status: str  # a journal status, or "pending" (transient error), "gave-up", "would-..."
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "pending", "gave-up")


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(o.failed for o in self.outcomes)


@dataclass(frozen=True)
class _Outgoing:
    path: Path
    key: str
    sha256: str
    plain_sha256: str | None  # when `path` is an encrypted copy


class ExportFailed(Exception):
    """The export of a window cannot complete this way; it is launched again next run."""


def export_zone(name: str | None) -> tzinfo:
    """`export.timezone`, else the system's zone."""
    return ZoneInfo(name) if name else local_timezone()


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
        report = RunReport()
        chosen = self.resolve_tenants(tenants)
        work: list[tuple[Tenant, Window]] = []
        for tenant in chosen:
            for due in self._windows_for(tenant, window, report):
                work.append((tenant, due))
        if not work and not report.outcomes:
            self.reporter.info("export: nothing to do, every window is already exported")
        if dry_run:
            for tenant, due in work:
                report.outcomes.append(self._describe(tenant, due))
            return report
        self._clean_spool()
        # Launch everything first: call-logd builds the archives while earlier ones download.
        launched: list[tuple[Tenant, Window]] = []
        for tenant, due in work:
            outcome = self._guard(tenant, due, self._launch_if_needed)
            if outcome is None:
                launched.append((tenant, due))
            else:
                report.outcomes.append(outcome)
        for tenant, due in launched:
            outcome = self._guard(tenant, due, self._complete)
            assert outcome is not None
            report.outcomes.append(outcome)
        return report

    def resolve_tenants(self, refs: list[str] | None) -> list[Tenant]:
        """The tenants to export: --tenant, else export.tenants (`all`: every visible one)."""
        if refs is None and self.settings.tenants != "all":
            refs = list(self.settings.tenants)
        try:
            visible = self.wazo.tenants()
        except ApiError as exc:
            if exc.status != 401 or refs is None or len(refs) != 1:
                raise
            # auth.md §5: without auth.tenants.read the account only sees its own tenant
            own = self.wazo.token_tenant
            ref = refs[0]
            slug = ref if not _UUID.match(ref) else own
            if _UUID.match(ref) and ref != own:
                raise UserError(
                    f"tenant {ref} is not the service account's tenant, and listing tenants "
                    "needs auth.tenants.read (re-run `wazo-rec export setup`)"
                ) from None
            return [Tenant(own, slug)]
        chosen = visible if refs is None else [self.wazo.resolve_tenant(ref) for ref in refs]
        return [Tenant(t["uuid"], t.get("slug") or t["uuid"], t.get("name")) for t in chosen]

    def _windows_for(
        self, tenant: Tenant, one_off: Window | None, report: RunReport
    ) -> list[Window]:
        if one_off is not None:
            return [one_off]
        journal = self.journal
        done_until = journal.done_until(tenant.uuid) if journal else None
        done = journal.done_keys(tenant.uuid) if journal else set()
        due = due_windows(
            self.now(),
            self.settings.schedule,
            self.zone,
            self.settings.catch_up,
            done_until,
            done,
        )
        if due.skipped and due.first_skipped is not None:
            self.reporter.warning(
                f"{tenant.slug}: {due.skipped} window(s) since {due.first_skipped.start:%Y-%m-%d} "
                f"are older than export.catch_up ({self.settings.catch_up}) and are not "
                "exported by this run; use --from/--until to export them"
            )
        windows = {w.key: w for w in due.windows}
        for entry in journal.unfinished(tenant.uuid) if journal else []:
            if entry.status == "failed" and not self._retryable(entry):
                gave_up = (
                    f"failed {entry.attempts} times (last: {entry.last_error}); the timer "
                    f"no longer launches it: run `wazo-rec export run --tenant {tenant.slug} "
                    f"--from {entry.window_from} --until {entry.window_until}` to try again"
                )
                self.reporter.error(f"{tenant.slug} {entry.window.label}: {gave_up}")
                report.outcomes.append(Outcome(tenant, entry.window, "gave-up", gave_up))
                windows.pop(entry.window.key, None)
                continue
            windows.setdefault(entry.window.key, entry.window)
        return sorted(windows.values(), key=lambda w: w.key)

    def _retryable(self, entry: Entry) -> bool:
        return entry.attempts < self.max_attempts or self._archive_ready(entry)

    def _guard(
        self, tenant: Tenant, window: Window, step: Callable[[Tenant, Window], Outcome | None]
    ) -> Outcome | None:
        """Run one step; turn its failure into the window's outcome (the run goes on)."""
        where = f"{tenant.slug} {window.label}"
        try:
            return step(tenant, window)
        except (ExportFailed, ArchiveInvalid, DestinationError) as exc:
            self._journal.mark_failed(tenant.uuid, tenant.slug, window, str(exc))
            self.reporter.error(f"{where}: failed: {exc}")
            return Outcome(tenant, window, "failed", str(exc))
        except ApiError as exc:
            # transient (stack down, 5xx, token refused): the journal keeps its status
            if self._journal.get(tenant.uuid, window) is not None:
                self._journal.note_error(tenant.uuid, window, str(exc))
            self.reporter.error(f"{where}: {exc}; the next run resumes this window")
            return Outcome(tenant, window, "pending", str(exc))

    @property
    def _journal(self) -> Journal:
        assert self.journal is not None, "a run that changes things has a journal"
        return self.journal

    # -- steps ---------------------------------------------------------------------------

    def _launch_if_needed(self, tenant: Tenant, window: Window) -> Outcome | None:
        entry = self._journal.get(tenant.uuid, window)
        if entry is not None and entry.done:
            self.reporter.info(f"{tenant.slug} {window.label}: already {entry.status}")
            return Outcome(tenant, window, entry.status, "already done")
        if entry is not None and (entry.status != "failed" or self._archive_ready(entry)):
            return None  # launched earlier: resumed, never launched again
        export_uuid = self.wazo.calllogd.create_export(
            from_=window.start,
            until=window.end,
            tenant=self._header_tenant(tenant),
            email=self.settings.email,
        )
        if export_uuid is None:  # call-logd.md §2: 400 no-recording-to-export
            self._journal.mark_empty(tenant.uuid, tenant.slug, window)
            self.reporter.info(f"{tenant.slug} {window.label}: no recording, nothing to export")
            return Outcome(tenant, window, "empty")
        entry = self._journal.mark_launched(tenant.uuid, tenant.slug, window, export_uuid)
        self.reporter.info(
            f"{tenant.slug} {window.label}: launched export {export_uuid} "
            f"(attempt {entry.attempts})"
        )
        return None

    def _complete(self, tenant: Tenant, window: Window) -> Outcome:
        entry = self._journal.get(tenant.uuid, window)
        assert entry is not None
        if entry.status == "launched":
            self._wait(tenant, window, entry)
            entry = self._download(tenant, window, entry)
        elif entry.status == "ready":
            entry = self._download(tenant, window, entry)
        return self._deliver(tenant, window, entry)

    def _wait(self, tenant: Tenant, window: Window, entry: Entry) -> None:
        export_uuid = entry.export_uuid
        assert export_uuid is not None
        started = time.monotonic()
        interval = self.poll.first
        while True:
            try:
                # call-logd.md §4/§5: the export belongs to the token's tenant; no Wazo-Tenant
                export = self.wazo.calllogd.get_export(export_uuid)
            except ApiError as exc:
                if exc.status == 404:
                    raise ExportFailed(
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
        part = self.spool / f"{stem}.zip.part"
        archive = self.spool / f"{stem}.zip"
        manifest = self.spool / f"{stem}.zip.manifest.json"
        where = f"{tenant.slug} {window.label}"
        progress = self.reporter.transfer(where)
        try:
            download = self.wazo.calllogd.download_export(export_uuid, part, progress=progress)
        except ApiError as exc:
            part.unlink(missing_ok=True)
            if exc.status == 404:  # call-logd.md §5: what a failed or purged export answers
                raise ExportFailed(
                    f"export {export_uuid} cannot be downloaded (404 {exc.message})"
                ) from None
            raise
        finally:
            self.reporter.done()
        os.replace(part, archive)
        fsync_dir(self.spool)
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
        if not self._archive_ready(entry):
            raise ExportFailed("the downloaded archive is gone from the spool; launched again")
        assert entry.archive_path and entry.manifest_path and entry.sha256
        archive = Path(entry.archive_path)
        manifest = Path(entry.manifest_path)
        key = self._key(tenant, window)
        files = self._outgoing(archive, manifest, key, entry.sha256)
        locations = []
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
        self._journal.mark_delivered(tenant.uuid, window, locations)
        for path in {archive, manifest, *(item.path for item in files)}:
            path.unlink(missing_ok=True)
        where = f"{tenant.slug} {window.label}"
        sealed = " (encrypted)" if self.encryption else ""
        self.reporter.info(
            f"{where}: delivered {entry.recordings} recording(s), {human_size(entry.size)}"
            f"{sealed} -> {', '.join(locations)}"
        )
        return Outcome(tenant, window, "delivered", ", ".join(locations))

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
        """The checked archive and its manifest are still in the spool, intact."""
        if not (entry.archive_path and entry.manifest_path and entry.sha256):
            return False
        archive = Path(entry.archive_path)
        if not archive.is_file() or not Path(entry.manifest_path).is_file():
            return False
        return archive.stat().st_size == entry.size

    def _clean_spool(self) -> None:
        """Remove what a killed run left: partial downloads and archives already delivered."""
        if not self.spool.is_dir():
            return
        keep = set()
        for entry in self._journal.entries():
            for p in (entry.archive_path, entry.manifest_path):
                if p:
                    keep.update((p, p + SUFFIX))  # encrypted copies wait for every destination
        for path in self.spool.iterdir():
            if str(path) not in keep:
                path.unlink(missing_ok=True)

    def _describe(self, tenant: Tenant, window: Window) -> Outcome:
        entry = self.journal.get(tenant.uuid, window) if self.journal else None
        where = f"{tenant.slug} {window.label}"
        if entry is None or (entry.status == "failed" and not self._archive_ready(entry)):
            what = "would launch an export"
            if entry is not None:
                what += f" again (attempt {entry.attempts + 1}; last error: {entry.last_error})"
        elif entry.done:
            what = f"already {entry.status}"
        elif entry.status == "launched":
            what = f"would wait for export {entry.export_uuid}, then download and deliver it"
        elif entry.status == "ready":
            what = f"would download export {entry.export_uuid} and deliver it"
        else:
            what = "would deliver the downloaded archive"
        self.reporter.info(f"{where}: {what}")
        return Outcome(tenant, window, "would-run", what)
