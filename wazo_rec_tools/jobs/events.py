"""The events a job tells the world about, and their JSON bodies (pure: no clock, no I/O).

A body is `{"type", "timestamp", "data"}` and carries what a receiver needs to act without
calling back: the tenant's uuid and slug, the window as instants with their offsets, the
counts, the size and sha256, every location. Never a token, a password or a signing key:
nothing here is given one. docs/notifications.md lists the data of each type.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..config import EVENTS

EXPORT_DELIVERED = "export.delivered"
EXPORT_FAILED = "export.failed"
MIRROR_DELIVERED = "mirror.delivered"
MIRROR_FAILED = "mirror.failed"
AUDIT_FAILED = "audit.failed"
POLICY_DRIFT = "policy.drift"
POLICY_APPLIED = "policy.applied"
JOB_FAILED = "job.failed"

# A receiver acts on a bounded body: the objects of a huge drift are cut, and say so.
MAX_OBJECTS = 1000


@dataclass(frozen=True)
class Event:
    """One thing that happened; `id` is the `webhook-id`, the same on every retry."""

    type: str
    timestamp: datetime
    data: Mapping[str, Any]
    id: str = field(default_factory=lambda: f"msg_{uuid.uuid4().hex}")

    def __post_init__(self) -> None:
        if self.type not in EVENTS:
            raise ValueError(f"unknown event type {self.type!r}")
        if self.timestamp.tzinfo is None:
            raise ValueError("an event's timestamp must be timezone-aware")

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "timestamp": instant(self.timestamp), "data": dict(self.data)}

    def body(self) -> str:
        """The exact text that is signed and sent (kept in the outbox for the retries)."""
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"))


def stable_id(key: str) -> str:
    """A message id that is the same for the same fact."""
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def instant(moment: datetime) -> str:
    """ISO 8601 with its offset, to the second: `2026-11-23T00:00:00+01:00`."""
    return moment.isoformat(timespec="seconds")


def tenant_data(uuid_: str, slug: str) -> dict[str, str]:
    return {"uuid": uuid_, "slug": slug}


def window_data(start: datetime, end: datetime) -> dict[str, str]:
    return {"from": instant(start), "until": instant(end)}


def export_delivered(
    at: datetime,
    *,
    tenant: Mapping[str, str],
    window: Mapping[str, str],
    recordings: int | None,
    size: int | None,
    sha256: str | None,
    locations: Iterable[str],
    manifests: Iterable[str],
) -> Event:
    """The id derives from the tenant and the window: a window is delivered once, so the
    same delivery announced twice (by a run and by the run after it crashed) is one id."""
    locations, manifests = list(locations), list(manifests)
    key = f"{EXPORT_DELIVERED}|{tenant['uuid']}|{window['from']}|{window['until']}"
    return Event(
        EXPORT_DELIVERED,
        at,
        {
            "job": "export",
            "tenant": dict(tenant),
            "window": dict(window),
            "recordings": recordings,
            "size": size,
            "sha256": sha256,
            "locations": locations,
            "manifest": manifests[0] if manifests else None,
            "manifests": manifests,
        },
        id=stable_id(key),
    )


def export_failed(
    at: datetime,
    *,
    tenant: Mapping[str, str],
    window: Mapping[str, str],
    status: str,
    error: str,
    attempts: int | None = None,
) -> Event:
    return Event(
        EXPORT_FAILED,
        at,
        {
            "job": "export",
            "tenant": dict(tenant),
            "window": dict(window),
            "status": status,
            "error": error,
            "attempts": attempts,
        },
    )


def mirror_delivered(
    at: datetime,
    *,
    tenant: Mapping[str, str],
    recording: Mapping[str, Any],
    size: int,
    sha256: str,
    locations: Iterable[str],
    sidecars: Iterable[str],
) -> Event:
    """One recording delivered by the mirror (`recording`: uuid, cdr_id, start, end).

    The id derives from the tenant and the recording: a recording is delivered once, so the
    same delivery announced twice (by a run and by the run after it was killed) is one id."""
    return Event(
        MIRROR_DELIVERED,
        at,
        {
            "job": "mirror",
            "tenant": dict(tenant),
            "recording": dict(recording),
            "size": size,
            "sha256": sha256,
            "locations": list(locations),
            "sidecars": list(sidecars),
        },
        id=stable_id(f"{MIRROR_DELIVERED}|{tenant['uuid']}|{recording['uuid']}"),
    )


def mirror_failed(
    at: datetime,
    *,
    tenant: Mapping[str, str],
    recording: Mapping[str, Any],
    error: str,
    attempts: int,
) -> Event:
    return Event(
        MIRROR_FAILED,
        at,
        {
            "job": "mirror",
            "tenant": dict(tenant),
            "recording": dict(recording),
            "error": error,
            "attempts": attempts,
        },
    )


def audit_failed(
    at: datetime,
    *,
    tenant: Mapping[str, str],
    window: Mapping[str, str],
    counts: Mapping[str, int],
    calls: list[Mapping[str, Any]],
) -> Event:
    """An audit found `missing` or `unexpected` recordings (`calls`: those CDRs)."""
    return Event(
        AUDIT_FAILED,
        at,
        {
            "job": "audit",
            "tenant": dict(tenant),
            "window": dict(window),
            "counts": dict(counts),
            **_capped("calls", [dict(c) for c in calls]),
        },
    )


def policy_drift(
    at: datetime, *, objects_in_scope: int, counts: Mapping[str, int], objects: list[dict]
) -> Event:
    """What the sync found different from the policy, before fixing it."""
    return Event(
        POLICY_DRIFT,
        at,
        {
            "job": "sync",
            "objects_in_scope": objects_in_scope,
            "drift": len(objects),
            "counts": dict(counts),
            **_capped("objects", objects),
        },
    )


def policy_applied(
    at: datetime, *, changed: int, failed: int, verified: bool, results: list[dict]
) -> Event:
    """What the sync wrote, and whether the re-read found the stack matching the policy."""
    return Event(
        POLICY_APPLIED,
        at,
        {
            "job": "sync",
            "changed": changed,
            "failed": failed,
            "verified": verified,
            **_capped("results", results),
        },
    )


def job_failed(
    at: datetime, *, job: str, started_at: datetime, errors: list[str], host: str
) -> Event:
    """A run that exits 1: its first error first, as the log says it."""
    return Event(
        JOB_FAILED,
        at,
        {
            "job": job,
            "host": host,
            "started_at": instant(started_at),
            "error": errors[0] if errors else "failed",
            "errors": errors[:100],
        },
    )


def _capped(key: str, items: list) -> dict[str, Any]:
    return {key: items[:MAX_OBJECTS], f"{key}_truncated": len(items) > MAX_OBJECTS}
