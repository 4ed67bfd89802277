"""Checking a downloaded export against the CDRs, and the manifest that goes with it.

docs/wazo-api.md, call-logd §3: an archive entry is `<cdr_id>/<recording filename>`; the archive of
a window must hold exactly the window's non-deleted recordings as `GET /cdr` lists them.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError
from .windows import Window

MANIFEST_VERSION = 1
_CHUNK = 1024 * 1024
_SHOWN = 5  # names listed in a mismatch message


class ArchiveInvalid(UserError):
    """The downloaded archive is not what the window should hold."""


@dataclass(frozen=True)
class ExpectedRecording:
    cdr_id: int
    recording_uuid: str
    filename: str
    start_time: str | None
    end_time: str | None
    call_start: str | None
    call_direction: str | None
    source_user_uuid: str | None
    source_name: str | None
    source_extension: str | None
    destination_user_uuid: str | None
    destination_name: str | None
    destination_extension: str | None

    @property
    def entry_name(self) -> str:
        return f"{self.cdr_id}/{self.filename}"


@dataclass(frozen=True)
class ArchiveEntry:
    name: str
    size: int
    sha256: str


def expected_recordings(cdrs: Iterable[dict]) -> list[ExpectedRecording]:
    """The recordings an export of these CDRs holds: those whose file still exists
    (docs/wazo-api.md, call-logd §2 step 2: `deleted` recordings are left out)."""
    found = []
    for cdr in cdrs:
        for recording in cdr.get("recordings") or []:
            if recording.get("deleted"):
                continue
            found.append(
                ExpectedRecording(
                    cdr_id=int(cdr["id"]),
                    recording_uuid=recording["uuid"],
                    filename=recording["filename"],
                    start_time=recording.get("start_time"),
                    end_time=recording.get("end_time"),
                    call_start=cdr.get("start"),
                    call_direction=cdr.get("call_direction"),
                    source_user_uuid=cdr.get("source_user_uuid"),
                    source_name=cdr.get("source_name"),
                    source_extension=cdr.get("source_extension"),
                    destination_user_uuid=cdr.get("destination_user_uuid"),
                    destination_name=cdr.get("destination_name"),
                    destination_extension=cdr.get("destination_extension"),
                )
            )
    return sorted(found, key=lambda r: (r.cdr_id, r.filename))


def check_archive(path: Path, expected: list[ExpectedRecording]) -> list[ArchiveEntry]:
    """Open the zip, compare its entries with `expected`, read every entry (which checks its
    CRC) and return each entry's size and sha256."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveInvalid(f"{path.name} is not a valid zip archive: {exc}") from None
    with archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
        wanted = {r.entry_name for r in expected}
        duplicates = {n for n, count in Counter(names).items() if count > 1}
        missing = sorted(wanted - set(names))
        unexpected = sorted(set(names) - wanted)
        if missing or unexpected or duplicates:
            raise ArchiveInvalid(_mismatch(path.name, missing, unexpected, duplicates))
        entries = []
        for info in archive.infolist():
            if info.is_dir():
                continue
            digest = hashlib.sha256()
            size = 0
            try:
                with archive.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise ArchiveInvalid(
                    f"{path.name}: entry {info.filename} is corrupt: {exc}"
                ) from None
            entries.append(ArchiveEntry(info.filename, size, digest.hexdigest()))
    return sorted(entries, key=lambda e: e.name)


def _mismatch(name: str, missing: list[str], unexpected: list[str], duplicates: set[str]) -> str:
    parts = []
    for label, items in (
        ("missing", missing),
        ("unexpected", unexpected),
        ("duplicated", sorted(duplicates)),
    ):
        if items:
            shown = ", ".join(items[:_SHOWN]) + (" …" if len(items) > _SHOWN else "")
            parts.append(f"{len(items)} {label} ({shown})")
    return f"{name} does not match the recordings listed by /cdr: " + "; ".join(parts)


def build_manifest(
    *,
    tenant: dict,
    window: Window,
    export: dict,
    archive_name: str,
    archive_size: int,
    archive_sha256: str,
    recordings: list[ExpectedRecording],
    entries: list[ArchiveEntry],
) -> dict[str, Any]:
    """The manifest delivered next to the archive (deterministic for a given export)."""
    by_name = {e.name: e for e in entries}
    items = []
    for recording in recordings:
        entry = by_name[recording.entry_name]
        item = asdict(recording)
        item.update(file=entry.name, size=entry.size, sha256=entry.sha256)
        items.append(item)
    return {
        "version": MANIFEST_VERSION,
        "tenant": {key: tenant.get(key) for key in ("uuid", "slug", "name")},
        "window": {
            "from": window.start.isoformat(),
            "until": window.end.isoformat(),
            "kind": window.kind,
        },
        "export": {
            "uuid": export.get("uuid"),
            "requested_at": export.get("requested_at"),
            "filename": export.get("filename"),
        },
        "archive": {"file": archive_name, "size": archive_size, "sha256": archive_sha256},
        "recording_count": len(items),
        "recordings": items,
    }
