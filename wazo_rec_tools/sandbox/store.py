"""All the state of the emulated stack, behind one lock."""

from __future__ import annotations

import threading
from typing import Any

from .auth.state import AuthState
from .calld.state import CalldState
from .calllogd.state import CallLogdState
from .confd.state import ConfdState


class Store:
    """Tenants plus one state object per service. Handlers take `lock` for compound operations."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.master_tenant_uuid = ""
        self.tenants: dict[str, dict[str, Any]] = {}
        self.auth = AuthState()
        self.confd = ConfdState()
        self.calllogd = CallLogdState()
        self.calld = CalldState()
        self._visible: dict[str, frozenset[str]] = {}

    def add_tenant(
        self, uuid: str, name: str, slug: str, parent_uuid: str | None = None
    ) -> dict[str, Any]:
        """Add a tenant; the first one added without a parent is the master tenant."""
        with self.lock:
            tenant = {
                "uuid": uuid,
                "name": name,
                "slug": slug,
                "parent_uuid": parent_uuid
                or uuid,  # wazo-auth: the master tenant is its own parent
                "domain_names": [],
            }
            if parent_uuid is None and not self.master_tenant_uuid:
                self.master_tenant_uuid = uuid
            self.tenants[uuid] = tenant
            self._visible.clear()
            return tenant

    def visible_tenants(self, tenant_uuid: str) -> set[str]:
        """The tenant and all its descendants (empty for an unknown tenant)."""
        visible = self._visible.get(tenant_uuid)
        if visible is not None:
            return set(visible)
        with self.lock:
            if tenant_uuid not in self.tenants:
                return set()
            children: dict[str, list[str]] = {}
            for tenant in self.tenants.values():
                if tenant["parent_uuid"] != tenant["uuid"]:
                    children.setdefault(tenant["parent_uuid"], []).append(tenant["uuid"])
            found = {tenant_uuid}
            pending = [tenant_uuid]
            while pending:
                for child in children.get(pending.pop(), ()):
                    if child not in found:
                        found.add(child)
                        pending.append(child)
            self._visible[tenant_uuid] = frozenset(found)
            return found

    def tenant(self, uuid_or_slug: str) -> dict[str, Any] | None:
        """A tenant by uuid, or by slug."""
        tenant = self.tenants.get(uuid_or_slug)
        if tenant is not None:
            return tenant
        for tenant in self.tenants.values():
            if tenant["slug"] == uuid_or_slug:
                return tenant
        return None
