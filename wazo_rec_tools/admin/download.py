"""Downloading recordings: bounded parallel, streamed to `.part` names, renamed when complete.

The resume rule: a file under its final name is complete, because it only ever appears by renaming a
fully written, fsynced `.part` file. A `.part` file is a partial download and is fetched again from
the start (call-logd gives no size to compare against, and a resumed `Range` request is not worth
trusting: docs/wazo-api.md, call-logd §13). So a re-run fetches exactly the recordings whose final
file is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from .recordings import RecordingRow

PART_SUFFIX = ".part"

# outcome statuses
DOWNLOADED = "downloaded"
SKIPPED = "skipped"  # the final file is already there
DELETED = "deleted"  # the recording's media was deleted on the server
FAILED = "failed"


@dataclass(frozen=True)
class DownloadJob:
    row: RecordingRow
    path: Path  # the final name


@dataclass(frozen=True)
class DownloadOutcome:
    job: DownloadJob
    status: str
    size: int = 0
    sha256: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "cdr_id": self.job.row.cdr_id,
            "recording_uuid": self.job.row.recording_uuid,
            "path": str(self.job.path),
            "status": self.status,
            "size": self.size,
            "sha256": self.sha256,
            "error": self.error,
        }


@dataclass(frozen=True)
class DownloadSummary:
    outcomes: list[DownloadOutcome]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def bytes(self) -> int:
        return sum(o.size for o in self.outcomes if o.status == DOWNLOADED)

    @property
    def ok(self) -> bool:
        return self.count(FAILED) == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "downloaded": self.count(DOWNLOADED),
            "bytes": self.bytes,
            "skipped": self.count(SKIPPED),
            "deleted": self.count(DELETED),
            "failed": self.count(FAILED),
            "files": [o.as_json() for o in self.outcomes],
        }


def part_path(path: Path) -> Path:
    return path.with_name(path.name + PART_SUFFIX)


def plan_jobs(rows: Iterable[RecordingRow], directory: Path) -> list[DownloadJob]:
    """One job per recording, named after the server's file name inside `directory`."""
    return [DownloadJob(row, directory / row.filename) for row in rows]


def download_one(wazo: Wazo, job: DownloadJob) -> DownloadOutcome:
    """Fetch one recording unless its final file exists; never raises for a server error."""
    row = job.row
    if job.path.exists():
        return DownloadOutcome(job, SKIPPED, size=job.path.stat().st_size)
    if row.deleted:
        return DownloadOutcome(job, DELETED)
    try:
        # the final name appears only complete (durable.stream_into, `.part` until then)
        result = wazo.calllogd.download_recording(
            row.cdr_id, row.recording_uuid, job.path, tenant=row.tenant_uuid
        )
    except ApiError as exc:
        if exc.status == 400 and exc.error_id == "recording-media-not-found":
            # docs/wazo-api.md, call-logd §8: the media was deleted after the listing
            return DownloadOutcome(job, DELETED)
        return DownloadOutcome(job, FAILED, error=str(exc))
    except OSError as exc:
        return DownloadOutcome(job, FAILED, error=f"{job.path}: {exc.strerror or exc}")
    return DownloadOutcome(job, DOWNLOADED, size=result.size, sha256=result.sha256)


def download_all(
    wazo: Wazo,
    jobs: list[DownloadJob],
    *,
    concurrency: int = 4,
    on_outcome: Callable[[DownloadOutcome], None] | None = None,
) -> DownloadSummary:
    """Every job, at most `concurrency` at a time; one failure never stops the others."""
    outcomes: list[DownloadOutcome] = []
    wazo.size_pool(concurrency)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="download")
    try:
        futures = [pool.submit(download_one, wazo, job) for job in jobs]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    finally:
        # on Ctrl-C: let the downloads in flight finish their file, start no new one
        pool.shutdown(wait=True, cancel_futures=True)
    order = {id(job): index for index, job in enumerate(jobs)}
    outcomes.sort(key=lambda o: order[id(o.job)])
    return DownloadSummary(outcomes)
