"""GET /tenants and GET /tenants/{tenant_uuid} (docs/wazo-api.md, auth §4)."""

from __future__ import annotations

from typing import Any

from ..routing import Request, Response, Router, xivo_error
from .listing import PREFIX, list_response


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/tenants", service="auth", acl="auth.tenants.read")(list_tenants)
    router.route(
        "GET",
        f"{PREFIX}/tenants/{{tenant_uuid}}",
        service="auth",
        acl="auth.tenants.{tenant_uuid}.read",
    )(get_tenant)


def public_tenant(tenant: dict[str, Any]) -> dict[str, Any]:
    return {
        "uuid": tenant["uuid"],
        "parent_uuid": tenant["parent_uuid"],
        "name": tenant["name"],
        "slug": tenant["slug"],
        "contact": None,
        "phone": None,
        "domain_names": list(tenant.get("domain_names", ())),
        "address": dict.fromkeys(("line_1", "line_2", "city", "state", "country", "zip_code")),
        "default_authentication_method": "native",
    }


def list_tenants(req: Request) -> Response:
    """The scoping tenant and all its descendants, always (no `recurse`)."""
    store = req.sandbox.store
    visible = store.visible_tenants(req.tenant_uuid)
    rows = [public_tenant(t) for uuid, t in store.tenants.items() if uuid in visible]
    uuids = req.params.get("uuids")
    if uuids:
        wanted = set(uuids.split(","))
        rows = [row for row in rows if row["uuid"] in wanted]
    domain_name = req.params.get("domain_name")
    if domain_name:
        rows = [row for row in rows if domain_name in row["domain_names"]]
    listing = list_response(
        rows,
        req.params,
        search_fields=("uuid", "name", "slug"),
        filter_fields=("uuid", "name", "slug"),
        order_fields=("name", "slug"),
        default_order="name",
    )
    listing["total"] = len(visible)
    return Response(json=listing)


def get_tenant(req: Request) -> Response:
    store = req.sandbox.store
    tenant_uuid = req.path_params["tenant_uuid"]
    tenant = store.tenants.get(tenant_uuid)
    if tenant is None or tenant_uuid not in store.visible_tenants(req.tenant_uuid):
        raise xivo_error(
            404,
            "unknown-tenant",
            f'No such tenant: "{tenant_uuid}"',
            {"uuid": tenant_uuid},
            resource="tenants",
        )
    return Response(json=public_tenant(tenant))
