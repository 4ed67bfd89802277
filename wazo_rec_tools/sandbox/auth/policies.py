"""POST/GET /policies, GET /policies/{policy_uuid} (auth.md §5)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..acl import AccessCheck
from ..routing import Request, Response, Router, TokenInfo, auth_legacy_error, xivo_error
from .listing import PREFIX, is_true, list_response


def register(router: Router) -> None:
    router.route("POST", f"{PREFIX}/policies", service="auth", acl="auth.policies.create")(
        create_policy
    )
    router.route("GET", f"{PREFIX}/policies", service="auth", acl="auth.policies.read")(
        list_policies
    )
    router.route(
        "GET",
        f"{PREFIX}/policies/{{policy_uuid}}",
        service="auth",
        acl="auth.policies.{policy_uuid}.read",
    )(get_policy)


def unknown_policy(policy: str) -> Exception:
    return auth_legacy_error(404, f'No such policy "{policy}"')


def require_grantable(token: TokenInfo, acl: list[str]) -> None:
    """The caller must hold every ACL it grants (`AccessCheck.may_add_access`), else 401."""
    missing = AccessCheck(token.acl, token.user_uuid, token.session_uuid).missing_access(acl)
    if missing:
        raise xivo_error(
            401,
            "unauthorized",
            "Unauthorized",
            {"required_access": missing, "reason": "missing_permission"},
        )


def _invalid(field: str, message: str) -> Exception:
    return xivo_error(400, "invalid-data", "Sent data is invalid", {field: {"message": message}})


def _slugify(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]+", "_", name).strip("_")[:80] or "policy"


def create_policy(req: Request) -> Response:
    body = req.json()
    if not isinstance(body, dict):
        raise _invalid("_schema", "Invalid input type.")
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise _invalid("name", "Length must be between 1 and 80.")
    acl = body.get("acl", [])
    if not isinstance(acl, list) or not all(isinstance(access, str) for access in acl):
        raise _invalid("acl", "Not a valid list of strings.")
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise _invalid("description", "Not a valid string.")
    shared = body.get("shared", False)
    if not isinstance(shared, bool):
        raise _invalid("shared", "Not a valid boolean.")
    require_grantable(req.token, acl)
    store = req.sandbox.store
    with store.lock:
        for policy in store.auth.policies.values():
            if policy["tenant_uuid"] == req.tenant_uuid and policy["name"] == name:
                # auth.md §7: policies answer their conflicts in the legacy shape.
                raise auth_legacy_error(409, f'Policy "{name}" already exists')
        policy = {
            "uuid": str(uuid.uuid4()),
            "tenant_uuid": req.tenant_uuid,
            "name": name,
            "slug": body.get("slug") or _slugify(name),
            "description": description,
            "acl": list(acl),
            "read_only": False,
            "shared": shared,
        }
        store.auth.policies[policy["uuid"]] = policy
        return Response(json=dict(policy, acl=list(acl)))


def visible_policy(req: Request, uuid_or_slug: str, tenants: set[str]) -> dict[str, Any]:
    """A policy by uuid, or by slug, among `tenants`; 404 (legacy shape) otherwise."""
    store = req.sandbox.store
    policy = store.auth.policies.get(uuid_or_slug)
    if policy is None:
        policy = next(
            (
                p
                for p in store.auth.policies.values()
                if p["slug"] == uuid_or_slug and p["tenant_uuid"] in tenants
            ),
            None,
        )
    if policy is None or (policy["tenant_uuid"] not in tenants and not policy["shared"]):
        raise unknown_policy(uuid_or_slug)
    return policy


def list_policies(req: Request) -> Response:
    store = req.sandbox.store
    tenants = (
        store.visible_tenants(req.tenant_uuid)
        if is_true(req.params.get("recurse"))
        else {req.tenant_uuid}
    )
    with store.lock:
        rows = [
            dict(p, acl=list(p["acl"]))
            for p in store.auth.policies.values()
            if p["tenant_uuid"] in tenants
        ]
    return Response(
        json=list_response(
            rows,
            req.params,
            search_fields=("name", "slug", "description"),
            filter_fields=("uuid", "name", "slug", "read_only"),
            order_fields=("name", "slug", "description", "uuid"),
            default_order="name",
        )
    )


def get_policy(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        policy = visible_policy(
            req, req.path_params["policy_uuid"], store.visible_tenants(req.tenant_uuid)
        )
        return Response(json=dict(policy, acl=list(policy["acl"])))
