"""The sync as an unattended job: what a `Convergence` tells the job shell (pure).

Events: `policy.drift` when the plan found objects that differ (before fixing them, and
also when safety refused to fix them), `policy.applied` once changes were written.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from ..jobs import events as ev
from ..jobs.report import JobOutcome
from .apply import outcomes_json
from .converge import Convergence
from .plan import Change, Plan
from .render import PLURALS, change_json

JOB = "sync"


def sync_outcome(result: Convergence, at: datetime, *, partial: bool = False) -> JobOutcome:
    """`partial`: the run covered one tenant (`--tenant`), so the drift figures of the
    others are kept rather than reset."""
    outcome = JobOutcome(ok=result.ok)
    outcome.errors = result.errors()
    planned = result.planned
    if not planned.empty:
        outcome.events.append(
            ev.policy_drift(
                at,
                objects_in_scope=planned.objects_in_scope,
                counts={PLURALS[k]: n for k, n in planned.counts().items()},
                objects=[_drift_object(c) for c in planned.changes],
            )
        )
    if result.outcomes:
        outcome.events.append(
            ev.policy_applied(
                at,
                changed=result.changed,
                failed=len(result.failed),
                verified=result.verified,
                results=outcomes_json(list(result.outcomes)),
            )
        )
    metrics = outcome.metrics
    if not partial:
        metrics.reset.add("wazo_rec_policy_drift_objects")
    for tenant, n in _per_tenant(planned).items():
        metrics.gauge("wazo_rec_policy_drift_objects", {"tenant": tenant}, n)
    bad: set[str] = set()
    for done in result.outcomes:
        tenant = _tenant(done.change)
        if done.ok:
            metrics.inc("wazo_rec_policy_changes_applied_total", {"tenant": tenant})
        else:
            bad.add(tenant)
            metrics.inc("wazo_rec_failures_total", {"job": JOB, "tenant": tenant})
    if result.residual is not None:
        bad.update(_per_tenant(result.residual))
    if result.refused:
        bad.update(_per_tenant(planned))
    outcome.tenants = {t: t not in bad for t in {*_per_tenant(planned), *bad}}
    outcome.summary = {
        "drift": len(planned.changes),
        "changed": result.changed,
        "failed": len(result.failed),
        "verified": result.verified,
        "refused": result.refused,
    }
    return outcome


def _tenant(change: Change) -> str:
    """The tenant label of a change; the global features have none."""
    return change.tenant.display if change.tenant is not None else ""


def _per_tenant(plan: Plan) -> dict[str, int]:
    return dict(Counter(_tenant(c) for c in plan.changes))


def _drift_object(change: Change) -> dict[str, Any]:
    found = change_json(change)
    found.pop("body", None)  # the request is ours to make; the receiver needs the fields
    found["tenant"] = (
        ev.tenant_data(change.tenant.uuid, change.tenant.slug or change.tenant.display)
        if change.tenant is not None
        else None
    )
    found.pop("tenant_uuid", None)
    return found
