"""POST/GET /policies, GET/PUT/DELETE /policies/{policy_uuid} (docs/wazo-api.md, auth §5)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..acl import AccessCheck
from ..routing import Request, Response, Router, TokenInfo, auth_legacy_error, xivo_error
from .listing import PREFIX, list_response, requested_tenants


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
    router.route(
        "PUT",
        f"{PREFIX}/policies/{{policy_uuid}}",
        service="auth",
        acl="auth.policies.{policy_uuid}.update",
    )(update_policy)
    router.route(
        "DELETE",
        f"{PREFIX}/policies/{{policy_uuid}}",
        service="auth",
        acl="auth.policies.{policy_uuid}.delete",
    )(delete_policy)


_UUID_FORM = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def unknown_policy(policy: str) -> Exception:
    # wazo-auth formats the lookup criteria: `{'uuid': '<uuid>'}` (or the slug looked for)
    criteria = {"uuid": policy} if _UUID_FORM.match(policy) else {"slug": policy}
    return auth_legacy_error(404, f"No such policy {criteria!r}")


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


def _load_policy(req: Request) -> dict[str, Any]:
    """PolicySchema: name 1..80, `acl` (singular) a list of strings, description, shared."""
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
    return {
        "name": name,
        "slug": body.get("slug") or _slugify(name),
        "description": description,
        "acl": list(acl),
        "shared": shared,
    }


def _check_unique_name(req: Request, tenant_uuid: str, name: str, own_uuid: str | None) -> None:
    for policy in req.sandbox.store.auth.policies.values():
        if (
            policy["tenant_uuid"] == tenant_uuid
            and policy["name"] == name
            and policy["uuid"] != own_uuid
        ):
            # docs/wazo-api.md (auth §7): policies answer their conflicts in the legacy shape.
            raise auth_legacy_error(409, f'Policy "{name}" already exists')


def _public(policy: dict[str, Any]) -> dict[str, Any]:
    return dict(policy, acl=list(policy["acl"]))


def create_policy(req: Request) -> Response:
    form = _load_policy(req)
    store = req.sandbox.store
    with store.lock:
        _check_unique_name(req, req.tenant_uuid, form["name"], None)
        policy = {"uuid": str(uuid.uuid4()), "tenant_uuid": req.tenant_uuid, **form}
        policy["read_only"] = False
        store.auth.policies[policy["uuid"]] = policy
        return Response(json=_public(policy))


def update_policy(req: Request) -> Response:
    form = _load_policy(req)
    store = req.sandbox.store
    with store.lock:
        policy = visible_policy(
            req, req.path_params["policy_uuid"], store.visible_tenants(req.tenant_uuid)
        )
        _check_unique_name(req, policy["tenant_uuid"], form["name"], policy["uuid"])
        policy.update(form)
        return Response(json=_public(policy))


def delete_policy(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        policy = visible_policy(
            req, req.path_params["policy_uuid"], store.visible_tenants(req.tenant_uuid)
        )
        del store.auth.policies[policy["uuid"]]
        for user in store.auth.users.values():
            if policy["uuid"] in user["policies"]:
                user["policies"].remove(policy["uuid"])
    return Response(status=204)


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
    tenants = requested_tenants(req)
    with store.lock:
        rows = [_public(p) for p in store.auth.policies.values() if p["tenant_uuid"] in tenants]
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
        return Response(json=_public(policy))
