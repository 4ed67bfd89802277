"""Where a recording goes and what its sidecar says (pure: no I/O, no clock).

Every destination holds the same layout under its prefix:
`<tenant-slug>/<yyyy>/<mm>/<dd>/<YYYYMMDDTHHMMSSZ>_<cdr id>_<recording uuid>.wav`, the
recording's start in UTC, and a `.json` sidecar of the same stem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SIDECAR_FORMAT = "wazo-rec-mirror/1"

# The CDR fields a receiver needs to file a recording without calling back (docs/wazo-api.md,
# call-logd §7).
_CDR_FIELDS = (
    "call_direction",
    "call_status",
    "conversation_id",
    "start",
    "answer",
    "end",
    "duration",
    "source_name",
    "source_extension",
    "source_user_uuid",
    "destination_name",
    "destination_extension",
    "destination_user_uuid",
    "requested_name",
    "requested_extension",
    "tags",
)


@dataclass(frozen=True)
class Found:
    """One recording of a CDR, as listed by call-logd."""

    cdr_id: int
    recording_uuid: str
    start_time: datetime
    end_time: datetime | None
    deleted: bool
    cdr: dict[str, Any]  # the fields of _CDR_FIELDS, for the sidecar


def utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # call-logd prints offsets; a naive one would be UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def recordings_of(cdr: dict[str, Any]) -> list[Found]:
    """The recordings of one CDR item of GET /cdr, with the CDR fields the sidecar carries."""
    kept = {name: cdr.get(name) for name in _CDR_FIELDS}
    found = []
    for recording in cdr.get("recordings") or []:
        found.append(
            Found(
                cdr_id=int(cdr["id"]),
                recording_uuid=recording["uuid"],
                start_time=utc(recording["start_time"]),
                end_time=utc(recording["end_time"]) if recording.get("end_time") else None,
                deleted=bool(recording.get("deleted")),
                cdr=kept,
            )
        )
    return found


def object_key(tenant_slug: str, cdr_id: int, recording_uuid: str, start: datetime) -> str:
    start = start.astimezone(UTC)
    return (
        f"{tenant_slug}/{start:%Y/%m/%d}/{start:%Y%m%dT%H%M%SZ}_{int(cdr_id)}_{recording_uuid}.wav"
    )


def sidecar_key(key: str) -> str:
    return key.removesuffix(".wav") + ".json"


def sidecar(
    *,
    tenant_uuid: str,
    tenant_slug: str,
    cdr_id: int,
    recording_uuid: str,
    start_time: str,
    end_time: str | None,
    cdr: dict[str, Any],
    size: int,
    sha256: str,
) -> dict[str, Any]:
    return {
        "format": SIDECAR_FORMAT,
        "tenant": {"uuid": tenant_uuid, "slug": tenant_slug},
        "cdr_id": cdr_id,
        "call": {name: cdr.get(name) for name in _CDR_FIELDS},
        "recording": {
            "uuid": recording_uuid,
            "start_time": start_time,
            "end_time": end_time,
            "size": size,
            "sha256": sha256,
        },
    }
