"""What an audit run tells the job shell: `audit.failed` when a call is missing or unexpected.

The event carries the window, the counts and the calls found (capped, as every event's
lists are). With `--detailed-exitcode` (the timer's) findings also fail the job, so that the
fail ping and `job.failed` go out with the unit's failure; by hand they do not.
"""

from __future__ import annotations

from datetime import datetime

from ..jobs import events as ev
from ..jobs.report import JobOutcome
from .classify import FINDINGS
from .result import AuditResult

AUDIT_JOB = "audit"


def audit_outcome(result: AuditResult, at: datetime, *, detailed: bool) -> JobOutcome:
    outcome = JobOutcome()
    counts = {c.replace("-", "_"): n for c, n in result.categories.items()}
    outcome.summary = {"findings": result.findings, "calls": counts}
    for _uuid, name in result.tenants:
        outcome.tenants[name] = result.clean or not detailed
    if result.clean:
        return outcome
    tenant = (
        ev.tenant_data(*result.tenants[0])
        if len(result.tenants) == 1
        else {"uuid": "", "slug": ", ".join(name for _, name in result.tenants)}
    )
    outcome.events.append(
        ev.audit_failed(
            at,
            tenant=tenant,
            window=ev.window_data(result.start, result.end),
            counts={c: counts[c.replace("-", "_")] for c in FINDINGS} | counts,
            calls=[verdict.as_json() for verdict in result.exceptions],
        )
    )
    if detailed:
        outcome.fail(
            f"{result.findings} call(s) missing or unexpected recordings from "
            f"{result.start.isoformat()} until {result.end.isoformat()}"
        )
    return outcome
