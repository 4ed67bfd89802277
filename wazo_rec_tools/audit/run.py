"""The audit's shell: read the requirement and the CDRs from the stack, fold them (read-only).

Requests, all GETs: the tenants (auth), users, groups and queues (confd, paged lists: the
same reads as `plan`, plus the queues' extensions), then the window's CDRs (call-logd, paged,
split into spans as `recordings list` does). Nothing is ever written on the stack.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from ..admin.recordings import DEFAULT_PAGE_SIZE, DEFAULT_SPAN, RecordingQuery, window_cdrs
from ..errors import UserError
from ..policy.inventory import Inventory, Tenant
from ..policy.load import LoadedPolicy
from ..policy.read import Scope, read_inventory, visible_tenants
from ..policy.resolve import DesiredTenant, find_tenant, resolve
from ..wazo.stack import Wazo
from .requirement import Requirement, build_requirement
from .result import AuditResult, audit


@dataclass(frozen=True)
class AuditRequest:
    start: datetime
    end: datetime
    tenant: str | None = None  # uuid, slug or name; None: every tenant the token sees
    user_uuid: str | None = None
    span: timedelta = DEFAULT_SPAN
    page_size: int = DEFAULT_PAGE_SIZE


def run_audit(
    wazo: Wazo, loaded: LoadedPolicy | None, request: AuditRequest, zone: tzinfo
) -> AuditResult:
    """The audit of `request`'s window against `loaded` (None: the stack's settings alone)."""
    visible = visible_tenants(wazo)
    chosen = [find_tenant(visible, request.tenant)] if request.tenant else visible
    requirement, warnings = read_requirement(wazo, loaded, chosen, visible)
    if request.user_uuid is not None and request.user_uuid not in requirement.users:
        raise UserError(f"user {request.user_uuid} is not in the tenants audited")
    query = RecordingQuery(
        start=request.start,
        end=request.end,
        tenant_uuid=chosen[0].uuid if request.tenant else None,
        user_uuid=request.user_uuid,
        span=request.span,
        page_size=request.page_size,
    )
    return audit(
        window_cdrs(wazo, query),
        requirement,
        start=request.start,
        end=request.end,
        zone=zone,
        tenants=[(t.uuid, t.display) for t in chosen],
        user_uuid=request.user_uuid,
        policy=str(loaded.path) if loaded is not None else None,
        warnings=warnings,
    )


def read_requirement(
    wazo: Wazo, loaded: LoadedPolicy | None, chosen: list[Tenant], visible: list[Tenant]
) -> tuple[Requirement, list[str]]:
    """The requirement for the `chosen` tenants, and the resolver's warnings."""
    scope = Scope(tenants=chosen, recursive=len(chosen) > 1)
    inventory = read_inventory(wazo, scope, visible)
    desired, warnings = desired_tenants(loaded, inventory, chosen) if loaded else ([], [])
    extensions = _queue_extensions(wazo, scope)
    return build_requirement(inventory, desired, queue_extensions=extensions), warnings


def desired_tenants(
    loaded: LoadedPolicy, inventory: Inventory, chosen: list[Tenant]
) -> tuple[list[DesiredTenant], list[str]]:
    """The resolver's view of each audited tenant the policy has a section for.

    One `resolve(..., tenant=)` per tenant: global features (`*26`, `*3`) are not part of
    the requirement, so the audit needs neither a master token nor their reads.
    """
    in_policy: set[str] = set()
    for section in loaded.policy.tenants:
        with contextlib.suppress(UserError):  # `resolve` reports it, located in the policy
            in_policy.add(find_tenant(inventory.tenants, section.tenant).uuid)
    desired: list[DesiredTenant] = []
    warnings: dict[str, None] = dict.fromkeys(loaded.warnings)
    for tenant in chosen:
        if tenant.uuid in in_policy:
            resolved = resolve(loaded, inventory, tenant=tenant.uuid)
            desired.extend(resolved.tenants)
            warnings.update(dict.fromkeys(resolved.warnings))
    return desired, list(warnings)


def _queue_extensions(wazo: Wazo, scope: Scope) -> dict[int, list[tuple[str, str]]]:
    """Each queue's (exten, context) pairs: how a CDR shows a call through it (docs/audit.md).

    Read like the inventory's lists (one request without `limit`); a stack has few queues.
    """
    wanted = {t.uuid for t in scope.tenants}

    def extensions(item: dict) -> tuple[int, list[tuple[str, str]]] | None:
        if item.get("tenant_uuid") not in wanted:
            return None
        pairs = [
            (str(e["exten"]), str(e["context"]))
            for e in item.get("extensions") or ()
            if e.get("exten") and e.get("context")
        ]
        return int(item["id"]), pairs

    reads = [(None, True)] if scope.recursive else [(uuid, False) for uuid in sorted(wanted)]
    found: dict[int, list[tuple[str, str]]] = {}
    for tenant, recurse in reads:
        items = wazo.confd.read_all("queues", extensions, tenant=tenant, recurse=recurse)
        found.update(item for item in items if item is not None)
    return found
