"""Refresh-token management: /users/{user_uuid}/tokens and /tokens (docs/wazo-api.md, auth §3)."""

from __future__ import annotations

from typing import Any

from ..routing import Request, Response, Router, xivo_error
from .listing import PREFIX, list_response, requested_tenants
from .users import visible_user

_LISTING = {
    "search_fields": ("client_id",),
    "filter_fields": ("client_id", "mobile", "created_at"),
    "order_fields": ("created_at", "client_id", "mobile"),
    "default_order": "created_at",
}


def register(router: Router) -> None:
    router.route(
        "GET",
        f"{PREFIX}/users/{{user_uuid}}/tokens",
        service="auth",
        acl="auth.users.{user_uuid}.tokens.read",
    )(list_user_refresh_tokens)
    router.route(
        "DELETE",
        f"{PREFIX}/users/{{user_uuid}}/tokens/{{client_id}}",
        service="auth",
        acl="auth.users.{user_uuid}.tokens.{client_id}.delete",
    )(delete_user_refresh_token)
    router.route("GET", f"{PREFIX}/tokens", service="auth", acl="auth.tokens.read")(
        list_refresh_tokens
    )


def _public(refresh: dict[str, Any]) -> dict[str, Any]:
    """A listed refresh token: never its value (docs/wazo-api.md, auth §3)."""
    return {key: value for key, value in refresh.items() if key != "token"}


def list_user_refresh_tokens(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        user = visible_user(req, req.path_params["user_uuid"])
        rows = [
            _public(refresh)
            for refresh in store.auth.refresh_tokens.values()
            if refresh["user_uuid"] == user["uuid"]
        ]
    return Response(json=list_response(rows, req.params, **_LISTING))


def delete_user_refresh_token(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        user = visible_user(req, req.path_params["user_uuid"])
        refresh = store.auth.refresh_token_of(user["uuid"], req.path_params["client_id"])
        if refresh is None:
            raise xivo_error(
                404,
                "cannot-find-refresh-token-matching-client-id",
                f'unknown refresh_token for client_id "{req.path_params["client_id"]}"',
                {"client_id": req.path_params["client_id"]},
                resource="tokens",
            )
        # The access tokens it minted stay alive (docs/wazo-api.md, auth §1).
        del store.auth.refresh_tokens[refresh["token"]]
    return Response(status=204)


def list_refresh_tokens(req: Request) -> Response:
    store = req.sandbox.store
    tenants = requested_tenants(req)
    with store.lock:
        rows = [
            _public(refresh)
            for refresh in store.auth.refresh_tokens.values()
            if refresh["tenant_uuid"] in tenants
        ]
    return Response(json=list_response(rows, req.params, **_LISTING))
