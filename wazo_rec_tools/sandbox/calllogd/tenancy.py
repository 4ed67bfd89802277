"""Which tenants a call-logd request sees (docs/wazo-api.md, call-logd §1)."""

from ..acl import AccessCheck
from ..routing import Request, xivo_error


def requested_tenant(req: Request, *, query_extractor: bool = False) -> str:
    """`?tenant=` (only on endpoints with a query extractor), else Wazo-Tenant, else the token's."""
    tenant = req.params.get("tenant") if query_extractor else None
    if not tenant:
        return req.tenant_uuid or req.token.tenant_uuid
    if tenant not in req.sandbox.store.visible_tenants(req.token.tenant_uuid):
        raise xivo_error(401, "unauthorized-tenant", f'Unauthorized tenant "{tenant}"')
    return tenant


def tenant_scope(req: Request, tenant: str, recurse: bool) -> set[str]:
    """The tenant alone, or with its sub-tenants when `recurse` is true.

    Recursion asks wazo-auth `GET /tenants` with the caller's token: without
    `auth.tenants.read` call-logd falls back to the token's own tenant, and fails when a
    sub-tenant was asked for (docs/wazo-api.md, call-logd §1).
    """
    if not recurse:
        return {tenant}
    token = req.token
    access = AccessCheck(token.acl, token.user_uuid, token.session_uuid)
    if not access.matches_required_access("auth.tenants.read"):
        if tenant == token.tenant_uuid:
            return {tenant}
        raise xivo_error(500, "unexpected-error", "Unexpected error: wazo-auth answered 401")
    return set(req.sandbox.store.visible_tenants(tenant))
