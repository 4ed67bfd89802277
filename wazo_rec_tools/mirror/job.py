"""`wazo-rec mirror run`: list what is new, fetch it, deliver it everywhere, journal each step.

Per tenant, in this order:

1. **Discover.** The recorded CDRs written since the tenant's cursor, in CDR-id order. call-logd
   filters by a call's *start* only, while a CDR is written after the call *ends*; its id says
   when it was written, so the cursor is an id: a long call, or a CDR written late, has a new id
   and is found. `OVERLAP_IDS` ids below the cursor are listed again, for ids committed out of
   order. A CDR that ended less than `lag` ago stops the listing (its file may still be
   settling) and is found again by the next run. Queued backfill spans are listed by start.
   New recordings are journaled `pending` in the same transaction that moves the cursor, so
   the cursor never passes a recording the journal does not hold.
2. **Deliver** every due recording, `concurrency` at a time: download (streamed, fsynced,
   hashed), re-hash the spooled copy before each upload, upload the media and its sidecar to
   each destination not done yet (create-only: a repeat after a kill writes nothing), then
   mark it delivered and drop the spool copy.
3. **Delete on the stack** (`delete_after_delivery`): the CDRs whose every recording is
   delivered, older than `keep_on_stack`, after checking again that every destination holds
   the media with its sha256.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import MirrorConfig
from ..destinations import Destination, DestinationError
from ..destinations.encryption import Encryption
from ..durable import sha256_of
from ..errors import UserError
from ..export.progress import Reporter, human_size
from ..jobs.tenants import Tenant, chosen_tenants
from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from .journal import MirrorJournal, Recording
from .layout import Found, recordings_of, sidecar, sidecar_key, utc

PAGE_SIZE = 500
THREAD_SAFE_SCHEMES = frozenset({"file", "s3", "azure"})
OVERLAP_IDS = 50
DELETE_BATCH = 100
FIRST_RUN_LOOKBACK = timedelta(days=1)
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=6)
SPOOL_NAME = "mirror-spool"

# docs/wazo-api.md, call-logd §8: the recording is not there any more, and asking again will not
# bring it back
MISSING_FILE = "its file is missing on the stack"
_GONE = {
    "recording-media-not-found": "deleted on the stack before it could be fetched",
    "recording-not-found": "no longer on the stack (recording not found)",
    "cdr-not-found-with-given-id": "no longer on the stack (its CDR was purged)",
    "recording-media-filesystem-not-found": MISSING_FILE,
}


@dataclass
class TenantResult:
    """What one run did for one tenant."""

    tenant: Tenant
    queued: int = 0
    delivered: list[Recording] = field(default_factory=list)
    failed: list[tuple[Recording, str]] = field(default_factory=list)
    gone: list[Recording] = field(default_factory=list)
    deleted: list[Recording] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    given_up: int = 0

    @property
    def lost(self) -> list[Recording]:
        """Recordings the stack itself lost (a file missing, not deleted on purpose)."""
        return [r for r in self.gone if r.last_error == MISSING_FILE]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors and not self.lost

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant.as_dict(),
            "queued": self.queued,
            "delivered": [r.as_json() for r in self.delivered],
            "failed": [dict(r.as_json(), error=e) for r, e in self.failed],
            "gone": [r.as_json() for r in self.gone],
            "deleted": [r.as_json() for r in self.deleted],
            "errors": list(self.errors),
            "given_up": self.given_up,
        }


@dataclass
class MirrorReport:
    """The run as a value: the CLI renders it, notifications and metrics read it."""

    tenants: list[TenantResult] = field(default_factory=list)
    dry_run: bool = False
    planned: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tenants)

    def count(self, what: str) -> int:
        return sum(len(getattr(t, what)) for t in self.tenants)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "tenants": [t.as_json() for t in self.tenants],
            "planned": list(self.planned),
        }


def retry_at(now: datetime, attempts: int) -> datetime:
    """Exponential backoff: 1, 2, 4… minutes after the n-th failure, at most 6 hours."""
    return now + min(RETRY_FIRST * (2 ** max(0, attempts)), RETRY_LONGEST)


class MirrorJob:
    def __init__(
        self,
        wazo: Wazo,
        settings: MirrorConfig,
        journal: MirrorJournal | None,
        destinations: list[Destination],
        reporter: Reporter,
        *,
        state_dir: Path,
        encryption: Encryption | None = None,
        urls: list[str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.wazo = wazo
        self.settings = settings
        self.journal = journal
        self.destinations = destinations
        self.reporter = reporter
        self.spool = Path(state_dir) / SPOOL_NAME
        self.encryption = encryption
        # where recordings go (a dry run opens no destination, and names them only)
        self.urls = [d.url for d in destinations] or list(urls or [])
        self.clock = clock
        # boto3's and azure-storage-blob's clients and the file store are safe to share between
        # threads; the GCS and SFTP clients get one call at a time (downloads stay parallel)
        self._locks = {
            d.url: contextlib.nullcontext()
            if urlsplit(d.url).scheme in THREAD_SAFE_SCHEMES
            else threading.Lock()
            for d in destinations
        }

    # -- the run ---------------------------------------------------------------------------

    def run(self, *, tenants: list[str] | None = None, dry_run: bool = False) -> MirrorReport:
        report = MirrorReport(dry_run=dry_run)
        if not dry_run:
            for destination in self.destinations:
                # what a killed run left half-written (the lock says no run is writing now)
                for leftover in destination.sweep():
                    self.reporter.info(f"removed a leftover of an interrupted upload: {leftover}")
        for tenant in chosen_tenants(self.wazo, tenants, self.settings.tenants):
            result = TenantResult(tenant)
            report.tenants.append(result)
            if dry_run:
                self._plan(tenant, result, report.planned)
                continue
            journal = self._journal()
            self._clean_spool(tenant)
            try:
                result.queued = self._discover(tenant)
            except ApiError as exc:
                # what is already journaled is still delivered; the listing resumes next run
                result.errors.append(f"listing recorded CDRs failed: {exc}")
                self.reporter.error(f"{tenant.slug}: listing recorded CDRs failed: {exc}")
            self._deliver_due(tenant, result)
            journal.flush()
            if self.settings.delete_after_delivery:
                self._delete_delivered(tenant, result)
            result.given_up = sum(
                1
                for r in journal.recordings(tenant.uuid, "failed")
                if r.given_up(self.settings.max_attempts)
            )
        return report

    def _journal(self) -> MirrorJournal:
        assert self.journal is not None, "a run that changes things needs the journal"
        return self.journal

    # -- 1. discover -----------------------------------------------------------------------

    def _listing(
        self,
        tenant: Tenant,
        from_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        settle: bool = True,
    ) -> Iterable[tuple[list[Found], int, bool]]:
        """Pages of (recordings, where the cursor may move, finished?), in CDR-id order.

        A CDR that ended less than `lag` ago is left for a later run: the cursor stops at the
        first such id, while the settled CDRs after it are delivered now (they are listed
        again next time, and the journal knows them).
        """
        horizon = self.clock() - self.settings.lag
        header = self._header_tenant(tenant)
        hold: int | None = None
        while True:
            page = self.wazo.calllogd.recorded_cdrs_from_id(
                from_id, tenant=header, limit=PAGE_SIZE, from_=start, until=end
            )
            found: list[Found] = []
            for cdr in page:
                ended = cdr.get("end")
                if settle and (ended is None or utc(ended) > horizon):
                    hold = int(cdr["id"]) if hold is None else hold
                else:
                    found.extend(recordings_of(cdr))
                from_id = int(cdr["id"]) + 1
            done = len(page) < PAGE_SIZE
            yield found, from_id if hold is None else hold, done
            if done:
                return

    def _cursor(self, tenant: Tenant) -> tuple[int, datetime]:
        """Where the listing starts: the cursor less the overlap, never before the start of
        the calls the mirror covers (`mirror.start`, or a day before its first run)."""
        cursor = self.journal.cursor(tenant.uuid) if self.journal else None
        if cursor is None:
            return 0, self.settings.start or (self.clock() - FIRST_RUN_LOOKBACK)
        next_id, since = cursor
        return max(0, next_id - OVERLAP_IDS), since

    def _discover(self, tenant: Tenant) -> int:
        journal = self._journal()
        queued = 0
        from_id, since = self._cursor(tenant)
        for found, next_id, _ in self._listing(tenant, from_id, start=since):
            queued += journal.queue_and_advance(tenant.uuid, tenant.slug, found, next_id, since)
        for backfill in journal.backfills(tenant.uuid, open_only=True):
            pages = self._listing(
                tenant,
                backfill.next_cdr_id,
                start=datetime.fromisoformat(backfill.from_utc),
                end=datetime.fromisoformat(backfill.until_utc),
                settle=False,
            )
            for found, next_id, done in pages:
                queued += journal.advance_backfill(backfill, found, next_id, done=done)
        if queued:
            self.reporter.info(f"{tenant.slug}: {queued} new recording(s) to deliver")
        return queued

    # -- 2. deliver ------------------------------------------------------------------------

    def _deliver_due(self, tenant: Tenant, result: TenantResult) -> None:
        due = self._journal().due(tenant.uuid, self.clock(), self.settings.max_attempts)
        if not due:
            return
        workers = max(1, min(self.settings.concurrency, len(due)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mirror") as pool:
            for rec, outcome, error in pool.map(lambda r: self._one(tenant, r), due):
                if outcome == "delivered":
                    result.delivered.append(rec)
                    where = ", ".join(rec.delivered_to.values())
                    self.reporter.info(
                        f"{tenant.slug}: cdr {rec.cdr_id} recording {rec.recording_uuid}: "
                        f"delivered {human_size(rec.size)} -> {where}"
                    )
                elif outcome == "gone":
                    result.gone.append(rec)
                    self.reporter.warning(
                        f"{tenant.slug}: cdr {rec.cdr_id} recording {rec.recording_uuid}: "
                        f"{rec.last_error}; not retried"
                    )
                else:
                    result.failed.append((rec, error or "failed"))
                    if rec.given_up(self.settings.max_attempts):
                        then = f"given up after {rec.attempts} attempts (wazo-rec mirror retry)"
                    else:
                        then = f"attempt {rec.attempts}, retried after {rec.next_attempt_at}"
                    self.reporter.error(
                        f"{tenant.slug}: cdr {rec.cdr_id} recording {rec.recording_uuid}: "
                        f"{error}; {then}"
                    )

    def _one(self, tenant: Tenant, rec: Recording) -> tuple[Recording, str, str | None]:
        journal = self._journal()
        try:
            media = self._spooled(tenant, rec)
            if media is None:
                return rec, "gone", None
            media_key, side_key = rec.key, sidecar_key(rec.key)
            sealed_media = sealed_side = None
            if self.encryption is not None:
                sealed_media = self._sealed(media, rec.recording_uuid + ".wav.age")
                if rec.sealed_sha256 != sealed_media[1]:
                    journal.mark_sealed(rec, sealed_media[1])
                media_key, side_key = media_key + ".age", side_key + ".age"
            side = self._sidecar_file(tenant, rec, sealed_media)
            if self.encryption is not None:
                sealed_side = self._sealed(side, rec.recording_uuid + ".json.age")
            todo = [d for d in self.destinations if d.url not in rec.delivered_to]
            last: tuple[str | None, str] = (None, "")
            for index, destination in enumerate(todo):
                self._check_spool(media, rec)
                media_file, media_sha = sealed_media or (media, rec.sha256 or "")
                side_file, side_sha = sealed_side or (side, sha256_of(side))
                with self._locks[destination.url]:
                    location = destination.deliver(media_file, media_key, media_sha)
                    destination.deliver(side_file, side_key, side_sha)
                if index < len(todo) - 1:
                    journal.mark_destination(rec, destination.url, location)
                else:
                    last = (destination.url, location)
            journal.mark_delivered(rec, *last)
            for leftover in self._spool_path(tenant, rec).parent.glob(rec.recording_uuid + ".*"):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            return rec, "delivered", None
        except (ApiError, DestinationError, OSError) as exc:
            error = _describe(exc)
            journal.mark_failed(rec, error, retry_at(self.clock(), rec.attempts))
            return rec, "failed", error

    def _clean_spool(self, tenant: Tenant) -> None:
        """Drop what a killed run left in the spool: partial downloads, and the copies of
        recordings that are done (the lock says no other run is writing here)."""
        folder = self.spool / tenant.uuid
        if not folder.is_dir():
            return
        journal = self._journal()
        for path in folder.iterdir():
            uuid = path.name.split(".", 1)[0]
            if not path.name.endswith(".part"):
                rec = journal.get(tenant.uuid, uuid)
                if rec is not None and rec.status in ("pending", "downloaded", "failed"):
                    continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _spool_path(self, tenant: Tenant, rec: Recording) -> Path:
        folder = self.spool / tenant.uuid
        folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        return folder / f"{rec.recording_uuid}.wav"

    def _spooled(self, tenant: Tenant, rec: Recording) -> Path | None:
        """The media in the spool, checked against the journal; downloaded if needed.

        None when the stack no longer has it (journaled `gone`)."""
        path = self._spool_path(tenant, rec)
        if rec.sha256 and path.exists() and sha256_of(path) == rec.sha256:
            return path
        try:
            # no fsync: the journal never trusts the spool without hashing it again
            got = self.wazo.calllogd.download_recording(
                rec.cdr_id,
                rec.recording_uuid,
                path,
                tenant=self._header_tenant(tenant),
                sync=False,
            )
        except ApiError as exc:
            reason = _GONE.get(exc.error_id or "")
            if reason is None:
                raise
            self._journal().mark_gone(rec, reason)
            return None
        if rec.sha256 and got.sha256 != rec.sha256:
            # a delivered copy has other bytes: never deliver different content under one key
            raise DestinationError(
                f"the stack now serves other bytes for this recording (sha256 {got.sha256[:12]}…,"
                f" journaled {rec.sha256[:12]}…)"
            )
        self._journal().mark_downloaded(rec, path, got.size, got.sha256)
        return path

    def _check_spool(self, media: Path, rec: Recording) -> None:
        """The spooled copy is hashed again before each upload: a disk that flipped a bit
        must not publish a corrupt recording with a sidecar that vouches for it."""
        if sha256_of(media) != rec.sha256:
            with contextlib.suppress(FileNotFoundError):
                media.unlink()
            raise DestinationError("the spooled copy no longer matches its sha256: fetched again")

    def _sealed(self, plain: Path, name: str) -> tuple[Path, str]:
        """The file encrypted to the configured recipients, in the spool, and its sha256.

        age output differs on each encryption, so an encrypted copy is made once and kept
        until every destination holds it: a resumed delivery sends the same bytes."""
        assert self.encryption is not None
        target = plain.with_name(name)
        if target.exists():
            return target, sha256_of(target)
        digest, _ = self.encryption.encrypt_file(plain, target)
        return target, digest

    def _sidecar_file(
        self, tenant: Tenant, rec: Recording, sealed: tuple[Path, str] | None = None
    ) -> Path:
        """The sidecar, written to the spool: deterministic, so a repeat is byte-identical."""
        data = sidecar(
            tenant_uuid=tenant.uuid,
            tenant_slug=rec.tenant_slug,
            cdr_id=rec.cdr_id,
            recording_uuid=rec.recording_uuid,
            start_time=rec.start_time,
            end_time=rec.end_time,
            cdr=rec.cdr,
            size=rec.size or 0,
            sha256=rec.sha256 or "",
        )
        if sealed is not None:
            data["recording"]["encrypted"] = {
                "format": "age",
                "sha256": sealed[1],
                "size": sealed[0].stat().st_size,
            }
        path = self._spool_path(tenant, rec).with_suffix(".json")
        payload = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
        # rebuilt from the journal each time, so the spool copy needs no fsync
        path.write_bytes(payload)
        return path

    # -- 3. delete on the stack ------------------------------------------------------------

    def _deletable_cdrs(self, tenant: Tenant) -> dict[int, list[Recording]]:
        """CDR id -> its recordings, for the CDRs whose every recording is delivered to every
        configured destination and older than keep_on_stack."""
        journal = self._journal()
        cutoff = self.clock() - self.settings.keep_on_stack
        urls = set(self.urls)
        by_cdr: dict[int, list[Recording]] = {}
        for rec in journal.deletable(tenant.uuid):
            ended = utc(rec.end_time or rec.start_time)
            if ended <= cutoff and urls <= set(rec.delivered_to):
                by_cdr.setdefault(rec.cdr_id, []).append(rec)
        if not by_cdr:
            return {}
        # the bulk endpoint deletes every recording of a CDR: all of them must be safe
        for rec in journal.of_cdrs(tenant.uuid, list(by_cdr)):
            if rec.status in ("deleted", "gone"):
                continue
            held = by_cdr.get(rec.cdr_id, [])
            if all(r.recording_uuid != rec.recording_uuid for r in held):
                by_cdr.pop(rec.cdr_id, None)
        return by_cdr

    def _verified(self, rec: Recording) -> str | None:
        """None when every destination holds this media with its sha256, else what is wrong."""
        key, sha = rec.key, rec.sha256 or ""
        if self.encryption is not None:
            key, sha = key + ".age", rec.sealed_sha256 or ""
        for destination in self.destinations:
            try:
                if not destination.exists(key, sha):
                    return f"{destination.url} no longer holds {rec.key}"
            except DestinationError as exc:
                return str(exc)
        return None

    def _delete_delivered(self, tenant: Tenant, result: TenantResult) -> None:
        candidates = self._deletable_cdrs(tenant)
        safe: dict[int, list[Recording]] = {}
        for cdr_id, recs in sorted(candidates.items()):
            problems = [p for p in (self._verified(r) for r in recs) if p]
            if problems:
                self.reporter.warning(
                    f"{tenant.slug}: cdr {cdr_id}: kept on the stack: {problems[0]}"
                )
                continue
            safe[cdr_id] = recs
        ids = list(safe)
        journal = self._journal()
        while ids:
            batch, ids = ids[:DELETE_BATCH], ids[DELETE_BATCH:]
            try:
                self.wazo.calllogd.delete_recordings(batch, tenant=self._header_tenant(tenant))
            except ApiError as exc:
                purged = exc.details.get("cdr_id") if exc.status == 404 else None
                if purged is not None and int(purged) in batch:
                    # docs/wazo-api.md, call-logd §8: one unknown CDR and nothing of the batch is
                    # deleted; that CDR is purged, so its recordings are no longer on the stack
                    gone = safe[int(purged)]
                    journal.mark_deleted(gone)
                    result.deleted.extend(gone)
                    ids = [i for i in batch if i != int(purged)] + ids
                    continue
                result.errors.append(f"deleting recordings on the stack failed: {exc}")
                self.reporter.error(f"{tenant.slug}: deleting recordings failed: {exc}")
                return
            done = [r for cdr_id in batch for r in safe[cdr_id]]
            journal.mark_deleted(done)
            result.deleted.extend(done)
        if result.deleted:
            self.reporter.info(
                f"{tenant.slug}: {len(result.deleted)} delivered recording(s) deleted on the stack"
            )

    # -- dry run ---------------------------------------------------------------------------

    def _plan(self, tenant: Tenant, result: TenantResult, planned: list[str]) -> None:
        journal = self.journal
        from_id, since = self._cursor(tenant)
        origin = f"recorded CDRs from id {from_id} of calls since {since.isoformat()}"
        new = 0
        for found, _, _ in self._listing(tenant, from_id, start=since):
            for item in found:
                if journal is None or journal.get(tenant.uuid, item.recording_uuid) is None:
                    new += 1
        planned.append(f"{tenant.slug}: would fetch {new} new recording(s) ({origin})")
        if journal is not None:
            due = journal.due(tenant.uuid, self.clock(), self.settings.max_attempts)
            if due:
                planned.append(f"{tenant.slug}: would retry {len(due)} journaled recording(s)")
            if self.settings.delete_after_delivery:
                for cdr_id, recs in sorted(self._deletable_cdrs(tenant).items()):
                    names = ", ".join(r.recording_uuid for r in recs)
                    planned.append(
                        f"{tenant.slug}: would delete cdr {cdr_id} on the stack ({names})"
                    )

    def _header_tenant(self, tenant: Tenant) -> str | None:
        return None if tenant.uuid == self.wazo.token_tenant else tenant.uuid


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, UserError):
        return f"local I/O error: {exc.strerror or exc}"
    return str(exc)
