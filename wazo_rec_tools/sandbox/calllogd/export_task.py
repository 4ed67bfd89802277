"""The export job (call-logd's Celery task), run in a background thread.

See docs/wazo-api.md (call-logd §3).

pending for half of `sandbox.export_delay`, then processing while the zip is written and for the
other half, then finished (or error). The zip is real: `<spool_dir>/<uuid>.zip` with entries
`<cdr_id>/<recording filename>`, the media generated and streamed into it chunk by chunk.
"""

from __future__ import annotations

import threading
import time
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .media import iter_media, media_size

if TYPE_CHECKING:
    from .. import Sandbox
    from ..store import Store

# Check every this many chunks that the sandbox still exists (its spool dir goes on stop).
_LIVENESS_CHUNKS = 64


@dataclass(frozen=True)
class ExportedRecording:
    cdr_id: int
    filename: str
    recording_uuid: str
    start_time: datetime
    size: int

    @property
    def entry_name(self) -> str:
        return f"{self.cdr_id}/{self.filename}"


class SpoolGone(Exception):
    """The sandbox stopped (its spool dir was removed) while the archive was being written."""


def write_archive(
    path: Path,
    recordings: list[ExportedRecording],
    compression: int,
    missing: Collection[str] = frozenset(),
) -> None:
    """Write the export zip, streaming each recording's generated media into its entry.

    A recording in `missing` has lost its file: the job stops there (call-logd §3).
    """
    with zipfile.ZipFile(path, "w", compression=compression, allowZip64=True) as archive:
        for recording in recordings:
            if recording.recording_uuid in missing:
                raise FileNotFoundError(recording.filename)
            info = zipfile.ZipInfo(recording.entry_name, recording.start_time.timetuple()[:6])
            info.compress_type = compression
            size = media_size(recording.size)
            force_zip64 = size + size // 100 + 1024 >= zipfile.ZIP64_LIMIT
            with archive.open(info, "w", force_zip64=force_zip64) as entry:
                for count, chunk in enumerate(iter_media(recording.recording_uuid, size)):
                    if count % _LIVENESS_CHUNKS == 0 and not path.parent.is_dir():
                        raise SpoolGone(path)
                    entry.write(chunk)


def _set_status(store: Store, export_uuid: str, status: str, path: Path | None = None) -> bool:
    """Move the export on; False when it was purged meanwhile."""
    with store.lock:
        export = store.calllogd.exports.get(export_uuid)
        if export is None:
            return False
        export["status"] = status
        if path is not None:
            export["path"] = path
        if status == "finished" and export.get("email"):
            # docs/wazo-api.md (call-logd §3): the link is e-mailed once the export is finished
            store.calllogd.sent_emails.append(
                {
                    "to": export["email"],
                    "export_uuid": export_uuid,
                    "tenant_uuid": export["tenant_uuid"],
                }
            )
        return True


def run_export(
    sandbox: Sandbox,
    export_uuid: str,
    recordings: list[ExportedRecording],
    *,
    fail: bool,
    compression: int,
) -> None:
    """The job body: pending -> processing -> finished | error."""
    store = sandbox.store
    half_delay = max(sandbox.export_delay, 0.0) / 2
    time.sleep(half_delay)
    if not _set_status(store, export_uuid, "processing"):
        return
    if fail:
        # docs/wazo-api.md (call-logd §3): a failed job leaves `path` unset
        time.sleep(half_delay)
        _set_status(store, export_uuid, "error")
        return
    path = Path(sandbox.spool_dir) / f"{export_uuid}.zip"
    try:
        write_archive(path, recordings, compression, store.calllogd.missing_media)
    except (OSError, SpoolGone):
        path.unlink(missing_ok=True)
        _set_status(store, export_uuid, "error")
        return
    time.sleep(half_delay)
    if not _set_status(store, export_uuid, "finished", path):
        path.unlink(missing_ok=True)


def start_export(
    sandbox: Sandbox,
    export_uuid: str,
    recordings: list[ExportedRecording],
    *,
    fail: bool,
    compression: int,
) -> threading.Thread:
    thread = threading.Thread(
        target=run_export,
        args=(sandbox, export_uuid, recordings),
        kwargs={"fail": fail, "compression": compression},
        name=f"export-{export_uuid}",
        daemon=True,
    )
    thread.start()
    return thread
