"""Deleting recordings in batches through the bulk endpoint (docs/wazo-api.md, call-logd §8).

`DELETE /cdr/recordings/media` deletes every recording of the listed CDRs, and is
all-or-nothing: one bad CDR id and nothing of the batch is deleted. Batches hold the CDRs of
one tenant, sent with that tenant in `Wazo-Tenant`. The first failed batch stops the run:
deletion is destructive, a failure is usually systematic (permission, server down), and the
batches not attempted are simply still listed by the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from .recordings import RecordingRow

DEFAULT_BATCH_SIZE = 100

# batch statuses
DONE = "deleted"
FAILED = "failed"
NOT_ATTEMPTED = "not-attempted"
PLANNED = "planned"


@dataclass
class Batch:
    index: int  # 1-based, as shown to people
    tenant_uuid: str | None
    cdr_ids: list[int]
    recordings: int
    status: str = PLANNED
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tenant_uuid": self.tenant_uuid,
            "cdr_ids": self.cdr_ids,
            "recordings": self.recordings,
            "status": self.status,
            "error": self.error,
        }


@dataclass
class DeletionPlan:
    rows: list[RecordingRow]
    batches: list[Batch] = field(default_factory=list)

    @property
    def cdr_count(self) -> int:
        return sum(len(b.cdr_ids) for b in self.batches)

    @property
    def ok(self) -> bool:
        return all(b.status == DONE for b in self.batches)

    def deleted_recordings(self) -> int:
        return sum(b.recordings for b in self.batches if b.status == DONE)

    def as_json(self) -> dict[str, Any]:
        return {
            "recordings": [row.as_json() for row in self.rows],
            "batches": [b.as_json() for b in self.batches],
            "deleted_recordings": self.deleted_recordings(),
            "ok": self.ok,
        }


def plan_deletion(rows: Iterable[RecordingRow], batch_size: int) -> DeletionPlan:
    """Batches of at most `batch_size` CDRs, per tenant; recordings already deleted are left out.

    The bulk endpoint deletes every recording of a CDR, so the unit is the CDR.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    live = [row for row in rows if not row.deleted]
    per_tenant: dict[str | None, dict[int, int]] = {}
    for row in live:
        cdrs = per_tenant.setdefault(row.tenant_uuid, {})
        cdrs[row.cdr_id] = cdrs.get(row.cdr_id, 0) + 1
    plan = DeletionPlan(rows=live)
    for tenant_uuid, cdrs in per_tenant.items():
        ids = list(cdrs)
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            plan.batches.append(
                Batch(
                    index=len(plan.batches) + 1,
                    tenant_uuid=tenant_uuid,
                    cdr_ids=chunk,
                    recordings=sum(cdrs[i] for i in chunk),
                )
            )
    return plan


def run_deletion(wazo: Wazo, plan: DeletionPlan) -> DeletionPlan:
    """Send the batches in order; stop at the first failure, leaving the rest not attempted."""
    failed = False
    for batch in plan.batches:
        if failed:
            batch.status = NOT_ATTEMPTED
            continue
        try:
            wazo.calllogd.delete_recordings(batch.cdr_ids, tenant=batch.tenant_uuid)
        except ApiError as exc:
            batch.status = FAILED
            batch.error = _describe(exc)
            failed = True
        else:
            batch.status = DONE
    return plan


def run_single(wazo: Wazo, plan: DeletionPlan) -> DeletionPlan:
    """A plan of one recording, through its own endpoint (the bulk one takes whole CDRs):
    DELETE /cdr/{id}/recordings/{uuid}/media. An ApiError is raised as is."""
    (row,) = plan.rows
    wazo.calllogd.delete_recording(row.cdr_id, row.recording_uuid, tenant=row.tenant_uuid)
    for batch in plan.batches:
        batch.status = DONE
    return plan


def _describe(exc: ApiError) -> str:
    cdr_id = exc.details.get("cdr_id") if exc.details else None
    if exc.error_id == "cdr-not-found-with-given-id" and cdr_id is not None:
        return f"CDR {cdr_id} no longer exists (purged?); nothing of this batch was deleted"
    if exc.status is None:
        return f"{exc}; the batch may or may not have been applied: re-run to see what is left"
    return f"{exc}; nothing of this batch was deleted"
