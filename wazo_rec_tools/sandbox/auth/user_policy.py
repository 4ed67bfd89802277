"""PUT/DELETE/GET /users/{user_uuid}/policies[/{policy_uuid}] (docs/wazo-api.md, auth §5)."""

from __future__ import annotations

from ..routing import Request, Response, Router
from .listing import PREFIX, list_response
from .policies import require_grantable, visible_policy
from .users import unknown_user, visible_user


def register(router: Router) -> None:
    router.route(
        "PUT",
        f"{PREFIX}/users/{{user_uuid}}/policies/{{policy_uuid}}",
        service="auth",
        acl="auth.users.{user_uuid}.policies.{policy_uuid}.create",
    )(add_user_policy)
    router.route(
        "DELETE",
        f"{PREFIX}/users/{{user_uuid}}/policies/{{policy_uuid}}",
        service="auth",
        acl="auth.users.{user_uuid}.policies.{policy_uuid}.delete",
    )(remove_user_policy)
    router.route(
        "GET",
        f"{PREFIX}/users/{{user_uuid}}/policies",
        service="auth",
        acl="auth.users.{user_uuid}.policies.read",
    )(list_user_policies)


def add_user_policy(req: Request) -> Response:
    """204; the caller must hold the policy's ACL. Not tenant-checked (FIXME in wazo-auth)."""
    store = req.sandbox.store
    with store.lock:
        user = store.auth.users.get(req.path_params["user_uuid"])
        if user is None:
            raise unknown_user(req.path_params["user_uuid"])
        policy = visible_policy(req, req.path_params["policy_uuid"], set(store.tenants))
        require_grantable(req.token, policy["acl"])
        if policy["uuid"] not in user["policies"]:
            user["policies"].append(policy["uuid"])
    return Response(status=204)


def remove_user_policy(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        user = visible_user(req, req.path_params["user_uuid"])
        policy = visible_policy(req, req.path_params["policy_uuid"], set(store.tenants))
        if policy["uuid"] in user["policies"]:
            user["policies"].remove(policy["uuid"])
    return Response(status=204)


def list_user_policies(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        user = visible_user(req, req.path_params["user_uuid"])
        rows = [dict(store.auth.policies[uuid]) for uuid in user["policies"]]
    return Response(
        json=list_response(
            rows,
            req.params,
            search_fields=("name", "slug", "description"),
            filter_fields=("uuid", "name", "slug"),
            order_fields=("name", "slug", "description", "uuid"),
            default_order="name",
        )
    )
