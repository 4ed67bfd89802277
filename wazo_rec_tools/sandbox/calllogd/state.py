"""call-logd state: CDRs with their recordings, exports, per-tenant retention."""

import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_RETENTION = {"cdr_days": 365, "export_days": 2, "recording_days": 365}
RETENTION_KEYS = ("cdr_days", "export_days", "recording_days")


def recording_filename(start_time: datetime, cdr_id: int, recording_uuid: str) -> str:
    """call-logd `Recording.filename` (docs/wazo-api.md, call-logd §3)."""
    return f"{start_time:%Y-%m-%dT%H_%M_%SUTC}-{cdr_id}-{recording_uuid}.wav"


def export_filename(requested_at: datetime, export_uuid: str) -> str:
    """call-logd export filename (docs/wazo-api.md, call-logd §4)."""
    return f"{requested_at:%Y-%m-%dT%H_%M_%SUTC}-{export_uuid}.zip"


@dataclass
class CallLogdState:
    """Everything call-logd holds. Handlers change it under `Store.lock`.

    cdrs: id -> CDR dict exactly as GET /cdr shows it (docs/wazo-api.md, call-logd §7).
    media_sizes: recording uuid -> size in bytes of its generated WAV; a recording not listed
        has `default_media_size` bytes.
    exports: uuid -> row {uuid, tenant_uuid, user_uuid, requested_at (datetime), status,
        path (Path | None), email, recordings [(cdr_id, filename, recording uuid)]}.
    retention: tenant uuid -> {cdr_days, export_days, recording_days} (None = unset).
    fail_next_exports: the next N exports end in `error`, without a file.
    export_compression: the zipfile constant used for export archives.
    sent_emails: {to, export_uuid, tenant_uuid} for each finished export that had an `email`.
    missing_media: recording uuids whose row keeps its path but whose file is gone from disk.
    """

    cdrs: dict[int, dict[str, Any]] = field(default_factory=dict)
    media_sizes: dict[str, int] = field(default_factory=dict)
    default_media_size: int = 16_000
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    retention: dict[str, dict[str, int | None]] = field(default_factory=dict)
    default_retention: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RETENTION))
    fail_next_exports: int = 0
    export_compression: int = zipfile.ZIP_DEFLATED
    sent_emails: list[dict[str, str]] = field(default_factory=list)
    missing_media: set[str] = field(default_factory=set)

    def next_cdr_id(self) -> int:
        return max(self.cdrs, default=0) + 1

    def media_size(self, recording_uuid: str) -> int:
        return self.media_sizes.get(recording_uuid, self.default_media_size)

    def set_media_size(self, recording_uuid: str, size: int) -> None:
        self.media_sizes[recording_uuid] = size

    def find_recording(self, recording_uuid: str) -> tuple[dict, dict] | None:
        """(cdr, recording) holding that recording uuid, or None."""
        for cdr in self.cdrs.values():
            for recording in cdr["recordings"]:
                if recording["uuid"] == recording_uuid:
                    return cdr, recording
        return None

    def add_recording(
        self, cdr_id: int, recording_uuid: str, start_time: datetime, end_time: datetime | None
    ) -> dict[str, Any]:
        """Append a recording to a CDR (a live call's start after a stop gives a new one)."""
        recording = {
            "uuid": recording_uuid,
            "start_time": start_time.isoformat(),
            "end_time": end_time.isoformat() if end_time else None,
            "deleted": False,
            "filename": recording_filename(start_time, cdr_id, recording_uuid),
        }
        self.cdrs[cdr_id]["recordings"].append(recording)
        return recording

    def purge_export(self, export_uuid: str) -> None:
        """What the export purger does: the row and its zip disappear.

        See docs/wazo-api.md (call-logd §4, §6).
        """
        export = self.exports.pop(export_uuid, None)
        if export and export.get("path"):
            Path(export["path"]).unlink(missing_ok=True)

    def tenant_retention(self, tenant_uuid: str) -> dict[str, int | None]:
        return self.retention.get(tenant_uuid) or dict.fromkeys(RETENTION_KEYS)
