"""POST/GET /users, GET/DELETE /users/{user_uuid}, PUT /users/{user_uuid}/password.

See docs/wazo-api.md (auth §5).
"""

from __future__ import annotations

import uuid
from typing import Any

from ..routing import Request, Response, Router, xivo_error
from .listing import PREFIX, list_response, requested_tenants

PURPOSES = ("user", "internal", "external_api")
_STRING_FIELDS = ("username", "password", "firstname", "lastname", "email_address", "uuid")


def register(router: Router) -> None:
    router.route("POST", f"{PREFIX}/users", service="auth", acl="auth.users.create")(create_user)
    router.route("GET", f"{PREFIX}/users", service="auth", acl="auth.users.read")(list_users)
    router.route(
        "GET", f"{PREFIX}/users/{{user_uuid}}", service="auth", acl="auth.users.{user_uuid}.read"
    )(get_user)
    router.route(
        "DELETE",
        f"{PREFIX}/users/{{user_uuid}}",
        service="auth",
        acl="auth.users.{user_uuid}.delete",
    )(delete_user)
    router.route(
        "PUT",
        f"{PREFIX}/users/{{user_uuid}}/password",
        service="auth",
        acl="auth.users.{user_uuid}.password.update",
    )(change_password)


def unknown_user(user_uuid: str) -> Exception:
    return xivo_error(
        404,
        "unknown-user",
        f'No such user: "{user_uuid}"',
        {"uuid": user_uuid},
        resource="users",
    )


def visible_user(req: Request, user_uuid: str) -> dict[str, Any]:
    """The user of the path (`me` = the token's user) if its tenant is visible, else 404."""
    store = req.sandbox.store
    if user_uuid == "me":
        user_uuid = req.token.user_uuid
    user = store.auth.users.get(user_uuid)
    if user is None or user["tenant_uuid"] not in store.visible_tenants(req.tenant_uuid):
        raise unknown_user(user_uuid)
    return user


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    """A user as the API shows it: no password, no policy list."""
    return {key: value for key, value in user.items() if key not in ("password", "policies")}


def _invalid(
    field: str, message: str, constraint_id: str = "type", constraint: Any = None
) -> Exception:
    """wazo-auth's user input error: the first field error, whose message is the error's too."""
    detail: dict[str, Any] = {"constraint_id": constraint_id}
    if constraint is not None:
        detail["constraint"] = constraint
    detail["message"] = message
    return xivo_error(400, "invalid-data", message, {field: detail}, resource="users")


def create_user(req: Request) -> Response:
    body = req.json()
    if not isinstance(body, dict):
        raise _invalid("_schema", "Invalid input type.")
    for name in _STRING_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise _invalid(name, "Not a valid string.", "type", "string")
    username = body.get("username")
    if not username or len(username) > 256:
        raise _invalid(
            "username", "Length must be between 1 and 256.", "length", {"min": 1, "max": 256}
        )
    purpose = body.get("purpose", "user")
    if purpose not in PURPOSES:
        raise _invalid(
            "purpose",
            f"Must be one of: {', '.join(PURPOSES)}.",
            "enum",
            {"choices": list(PURPOSES)},
        )
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _invalid("enabled", "Not a valid boolean.", "type", "boolean")
    store = req.sandbox.store
    with store.lock:
        if store.auth.user_by_login(username) is not None:
            raise xivo_error(
                409,
                "conflict",
                "The username is already in use",
                {
                    "username": {
                        "constraint_id": "unique",
                        "message": "The username is already in use",
                    }
                },
                resource="users",
            )
        email = body.get("email_address")
        user = store.auth.add_user(
            {
                "uuid": body.get("uuid") or str(uuid.uuid4()),
                "tenant_uuid": req.tenant_uuid,
                "username": username,
                "password": body.get("password"),
                "purpose": purpose,
                "firstname": body.get("firstname"),
                "lastname": body.get("lastname"),
                "emails": [{"address": email, "confirmed": True, "main": True}] if email else [],
                "enabled": enabled,
                "authentication_method": body.get("authentication_method")
                or ("default" if purpose == "user" else "native"),
                "policies": [],
            }
        )
        return Response(json=public_user(user))


def list_users(req: Request) -> Response:
    store = req.sandbox.store
    tenants = requested_tenants(req)
    with store.lock:
        rows = [public_user(u) for u in store.auth.users.values() if u["tenant_uuid"] in tenants]
    for row in rows:
        row["email"] = row["emails"][0]["address"] if row["emails"] else None
    listing = list_response(
        rows,
        req.params,
        search_fields=("username", "firstname", "lastname", "email"),
        filter_fields=("uuid", "username", "firstname", "lastname", "purpose", "enabled"),
        order_fields=("username", "firstname", "lastname", "purpose"),
        default_order="username",
    )
    for row in listing["items"]:
        del row["email"]
    return Response(json=listing)


def get_user(req: Request) -> Response:
    with req.sandbox.store.lock:
        return Response(json=public_user(visible_user(req, req.path_params["user_uuid"])))


def _revoke_access_tokens(req: Request, user_uuid: str) -> None:
    tokens = req.sandbox.store.auth.tokens
    for value in [value for value, info in tokens.items() if info.user_uuid == user_uuid]:
        del tokens[value]


def delete_user(req: Request) -> Response:
    """204; the user's refresh tokens go with it (docs/wazo-api.md, auth §1), and its sessions."""
    store = req.sandbox.store
    with store.lock:
        user = visible_user(req, req.path_params["user_uuid"])
        del store.auth.users[user["uuid"]]
        store.auth.usernames.pop(user["username"].lower(), None)
        refresh_tokens = store.auth.refresh_tokens
        for value in [v for v, r in refresh_tokens.items() if r["user_uuid"] == user["uuid"]]:
            del refresh_tokens[value]
        _revoke_access_tokens(req, user["uuid"])
    return Response(status=204)


def change_password(req: Request) -> Response:
    """204; revokes the user's access tokens but keeps its refresh tokens.

    See docs/wazo-api.md (auth §1).
    """
    body = req.json()
    if not isinstance(body, dict):
        raise _invalid("_schema", "Invalid input type.")
    for name in ("old_password", "new_password"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise _invalid(name, "Missing data for required field.", "required", "required")
    store = req.sandbox.store
    with store.lock:
        user = visible_user(req, req.path_params["user_uuid"])
        if user["password"] != body["old_password"]:
            raise xivo_error(401, "unauthorized", "Authentication Failed")
        user["password"] = body["new_password"]
        _revoke_access_tokens(req, user["uuid"])
    return Response(status=204)
