"""Read the inventory a plan needs from the stack, in as few requests as the APIs allow.

Users, groups and queues come from paged lists (confd.md §2: a list item carries every
recording field), so the request count is the number of pages plus a constant, never one
per user; each user is trimmed to `User` as soon as its page arrives. Global features are
read only when the policy manages them, and need a master-tenant token (confd.md §6).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import InputErrors, UserError
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


def read_inventory(wazo: Wazo, scope: Scope, tenants: list[Tenant]) -> Inventory:
    """The stack's recording state for `scope`."""
    wanted = {t.uuid for t in scope.tenants}
    confd = wazo.confd
    inventory = Inventory(tenants=tenants, master=wazo.is_master_token())
    inventory.users = _listed(confd.users, User.from_confd, scope, wanted)
    inventory.groups = _listed(confd.groups, Group.from_confd, scope, wanted)
    inventory.queues = _listed(confd.queues, Queue.from_confd, scope, wanted)
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
    lister: Callable[..., Iterator[dict]],
    trim: Callable[[dict], Any],
    scope: Scope,
    wanted: set[str],
) -> list[Any]:
    """Several tenants: one recursive list (page count + 1 requests); one tenant: its own list."""
    pages: Iterable[dict]
    if scope.recursive:
        pages = lister(recurse=True)
    else:
        pages = (item for uuid in sorted(wanted) for item in lister(tenant=uuid, recurse=False))
    return [trim(item) for item in pages if item.get("tenant_uuid") in wanted]
