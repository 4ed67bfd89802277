"""Which tenants a job works on: `--tenant`, else the job's `tenants:` setting (`all`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..errors import UserError
from ..wazo.http import ApiError
from ..wazo.stack import Wazo

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass(frozen=True)
class Tenant:
    uuid: str
    slug: str
    name: str | None = None

    def as_dict(self) -> dict:
        return {"uuid": self.uuid, "slug": self.slug, "name": self.name}


def chosen_tenants(
    wazo: Wazo, refs: list[str] | None, configured: Literal["all"] | list[str]
) -> list[Tenant]:
    """The tenants named by `refs` (uuids or slugs), else by the setting; `all` is every
    tenant the token sees."""
    if refs is None and configured != "all":
        refs = list(configured)
    try:
        visible = wazo.tenants()
    except ApiError as exc:
        if exc.status != 401 or refs is None or len(refs) != 1:
            raise
        # docs/wazo-api.md, auth §5: without auth.tenants.read the account only sees its own tenant
        own = wazo.token_tenant
        ref = refs[0]
        if _UUID.match(ref) and ref != own:
            raise UserError(
                f"tenant {ref} is not the service account's tenant, and listing tenants "
                "needs auth.tenants.read (re-run `wazo-rec export setup`)"
            ) from None
        return [Tenant(own, ref if not _UUID.match(ref) else own)]
    chosen = visible if refs is None else [wazo.resolve_tenant(ref) for ref in refs]
    return [Tenant(t["uuid"], t.get("slug") or t["uuid"], t.get("name")) for t in chosen]
