"""Read the inventory a plan needs from the stack, in as few requests as the APIs allow.

Users, groups and queues come from whole lists (docs/wazo-api.md, confd §2: a list item carries
every recording field): per list, a `limit=1` probe for its size, then one request without `limit`,
the cheapest read confd has (§1: pages re-load every matching user). Each item is trimmed to
`User`/`Group`/`Queue` as it arrives from the stream. Global features are read only when the policy
manages them, and need a master-tenant token (docs/wazo-api.md, confd §6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputErrors, UserError
from ..wazo.confd import Listed
from ..wazo.stack import Wazo
from .inventory import CallRecordExtension, Group, Inventory, Queue, Retention, Tenant, User
from .load import LoadedPolicy
from .resolve import find_tenant


@dataclass(frozen=True)
class Scope:
    """What to read: which tenants, and which of the global and per-tenant extras."""

    tenants: list[Tenant]
    recursive: bool  # several tenants: one recursive list from the token's tenant, filtered
    callrecord: bool = False
    applicationmap: bool = False
    retention: frozenset[str] = frozenset()  # tenant uuids


def visible_tenants(wazo: Wazo) -> list[Tenant]:
    return [Tenant(t["uuid"], t.get("slug"), t.get("name")) for t in wazo.tenants()]


def policy_scope(
    wazo: Wazo, loaded: LoadedPolicy, tenants: list[Tenant], *, tenant: str | None = None
) -> Scope:
    """The tenants a policy names (all of them, or `tenant` only) and what else it manages.

    Names that do not resolve are skipped here; `resolve` reports them with their location.
    """
    policy = loaded.policy
    only = find_tenant(tenants, tenant).uuid if tenant is not None else None
    selected: dict[str, Tenant] = {}
    retention = set()
    for section in policy.tenants:
        try:
            found = find_tenant(tenants, section.tenant)
        except UserError:
            continue
        if only is not None and found.uuid != only:
            continue
        selected[found.uuid] = found
        if section.retention is not None and section.retention.managed():
            retention.add(found.uuid)
    features = policy.features if only is None else None
    if features is not None and not wazo.is_master_token():
        # the same located line `resolve` gives, before reading thousands of users for nothing
        raise InputErrors(
            [
                loaded.error(
                    ("features",),
                    "features are global and need a token of the master tenant (this token "
                    "belongs to a sub-tenant): use a master-tenant admin, or plan with --tenant",
                    at_key=True,
                )
            ]
        )
    return Scope(
        tenants=list(selected.values()),
        recursive=len(selected) > 1,
        # read even when only togglerecord is managed: *26 enabled on the stack is worth a warning
        callrecord=features is not None,
        applicationmap=features is not None and features.togglerecord is not None,
        retention=frozenset(retention),
    )


def dump_scope(wazo: Wazo, tenants: list[Tenant], *, tenant: str | None = None) -> Scope:
    """Everything of one tenant, or of every visible tenant; features when the token can."""
    selected = [find_tenant(tenants, tenant)] if tenant is not None else tenants
    master = tenant is None and wazo.is_master_token()
    return Scope(
        tenants=selected,
        recursive=len(selected) > 1,
        callrecord=master,
        applicationmap=master,
        retention=frozenset(t.uuid for t in selected),
    )


Status = Callable[[str], Any]  # shows one transient line ("" clears it), e.g. on a TTY

TRIM: dict[Listed, Callable[[dict], Any]] = {
    "users": User.from_confd,
    "groups": Group.from_confd,
    "queues": Queue.from_confd,
}


def read_inventory(
    wazo: Wazo, scope: Scope, tenants: list[Tenant], *, status: Status | None = None
) -> Inventory:
    """The stack's recording state for `scope`; `status` hears what is being waited for."""
    wanted = {t.uuid for t in scope.tenants}
    confd = wazo.confd
    inventory = Inventory(tenants=tenants, master=wazo.is_master_token())
    try:
        inventory.users = _listed(wazo, "users", scope, wanted, status)
        inventory.groups = _listed(wazo, "groups", scope, wanted, status)
        inventory.queues = _listed(wazo, "queues", scope, wanted, status)
    finally:
        if status is not None:
            status("")
    if scope.callrecord:
        listed = confd.extension_features(feature="callrecord")
        found = [f for f in listed if f.get("feature") == "callrecord"]
        if found:
            feature = found[0]
            inventory.callrecord = CallRecordExtension(
                feature["uuid"], feature["exten"], bool(feature["enabled"])
            )
    if scope.applicationmap:
        inventory.applicationmap = confd.applicationmap()
    for tenant_uuid in sorted(scope.retention):
        current = wazo.calllogd.retention(tenant=tenant_uuid)
        inventory.retention[tenant_uuid] = Retention(
            current.get("cdr_days"),
            current.get("recording_days"),
            current.get("export_days"),
            {key: current.get(f"default_{key}") for key in ("cdr_days", "recording_days")},
        )
    return inventory


def _listed(
    wazo: Wazo, resource: Listed, scope: Scope, wanted: set[str], status: Status | None
) -> list[Any]:
    """Several tenants: one recursive list, filtered; one tenant: its own list (`Wazo-Tenant`).

    Items of unwanted tenants are dropped before trimming, so they cost no memory.
    """
    trim = TRIM[resource]

    def keep(item: dict) -> Any:
        return trim(item) if item.get("tenant_uuid") in wanted else None

    reads = [(None, True)] if scope.recursive else [(uuid, False) for uuid in sorted(wanted)]
    found: list[Any] = []
    for tenant, recurse in reads:
        total = wazo.confd.count(resource, tenant=tenant, recurse=recurse)
        if total == 0:
            continue
        if status is not None:
            status(f"reading {total:,} {resource} from confd…".replace(",", " "))
        items = wazo.confd.read_all(resource, keep, tenant=tenant, recurse=recurse, expected=total)
        found += [item for item in items if item is not None]
    return found
