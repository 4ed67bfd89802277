"""POST /token, GET/HEAD/DELETE /token/{token}, POST /token/{token}/scopes/check.

See docs/wazo-api.md (auth §1-2).
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from ..acl import AccessCheck
from ..routing import SHAPE_LEGACY, Request, Response, Router, TokenInfo, auth_legacy_error
from ..store import Store
from .listing import PREFIX
from .state import DEFAULT_EXPIRATION, MAX_EXPIRATION

AUTHENTICATION_FAILED = "Authentication Failed"
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def register(router: Router) -> None:
    legacy = {"service": "auth", "auth": False, "error_shape": SHAPE_LEGACY}
    router.route("POST", f"{PREFIX}/token", **legacy)(create_token)
    router.route("GET", f"{PREFIX}/token/{{token}}", **legacy)(get_token)
    router.route("HEAD", f"{PREFIX}/token/{{token}}", **legacy)(head_token)
    router.route("DELETE", f"{PREFIX}/token/{{token}}", **legacy)(revoke_token)
    router.route("POST", f"{PREFIX}/token/{{token}}/scopes/check", **legacy)(check_scopes)


def _validation_error(errors: dict[str, list[str]]) -> Exception:
    # docs/wazo-api.md (auth §7): the legacy reason holds the stringified marshmallow messages.
    return auth_legacy_error(400, str(errors))


def _parse_body(req: Request) -> dict[str, Any]:
    """TokenRequestSchema: field rules, then the cross-field 400 cases.

    See docs/wazo-api.md (auth §1).
    """
    body = req.json()
    if not isinstance(body, dict):
        raise _validation_error({"_schema": ["Invalid input type."]})
    errors: dict[str, list[str]] = {}
    expiration = body.get("expiration", DEFAULT_EXPIRATION)
    if isinstance(expiration, str) and expiration.strip().lstrip("-").isdigit():
        expiration = int(expiration)  # marshmallow Integer takes numeric strings, not booleans
    if isinstance(expiration, bool) or not isinstance(expiration, int):
        errors["expiration"] = ["Not a valid integer."]
    elif not 1 <= expiration <= MAX_EXPIRATION:
        errors["expiration"] = [
            f"Must be greater than or equal to 1 and less than or equal to {MAX_EXPIRATION}."
        ]
    access_type = body.get("access_type", "online")
    if access_type not in ("online", "offline"):
        errors["access_type"] = ["Must be one of: online, offline."]
    client_id = body.get("client_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not 1 <= len(client_id) <= 1024
    ):
        errors["client_id"] = ["Length must be between 1 and 1024."]
    refresh_token = body.get("refresh_token")
    if refresh_token is not None and not isinstance(refresh_token, str):
        errors["refresh_token"] = ["Not a valid string."]
    if errors:
        raise _validation_error(errors)
    schema_errors = []
    if access_type == "offline" and refresh_token:
        schema_errors.append("cannot use the access_type offline with a refresh token")
    if access_type == "offline" and not client_id:
        schema_errors.append("the client_id field is required when using the access_type offline")
    if refresh_token and not client_id:
        schema_errors.append("the client_id field is required when using a refresh token")
    if body.get("tenant_id") and body.get("domain_name"):
        schema_errors.append("tenant_id and domain_name are mutually exclusive")
    if schema_errors:
        raise _validation_error({"_schema": schema_errors})
    return {
        "expiration": expiration,
        "access_type": access_type,
        "client_id": client_id,
        "refresh_token": refresh_token,
    }


def _basic_credentials(req: Request) -> tuple[str, str] | None:
    """Login and password from `Authorization: Basic`, only when both are non-empty."""
    header = req.headers.get("Authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")
    login, _, password = decoded.partition(":")
    if not login or not password:
        return None
    return login, password


def create_token(req: Request) -> Response:
    store = req.sandbox.store
    body = _parse_body(req)
    with store.lock:
        if body["refresh_token"] and body["client_id"]:
            # docs/wazo-api.md (auth §1): a refresh token is checked first and needs no Basic
            # credentials.
            refresh = store.auth.refresh_tokens.get(body["refresh_token"])
            if refresh is None or refresh["client_id"] != body["client_id"]:
                raise auth_legacy_error(401, AUTHENTICATION_FAILED)
            user = store.auth.users.get(refresh["user_uuid"])
        else:
            credentials = _basic_credentials(req)
            user = store.auth.user_by_login(credentials[0]) if credentials else None
            if user is not None and (user["password"] != credentials[1] or not user["enabled"]):
                user = None
        if user is None:
            raise auth_legacy_error(401, AUTHENTICATION_FAILED)
        refresh_value = None
        if body["access_type"] == "offline":
            mobile = (req.headers.get("Wazo-Session-Type") or "").lower() == "mobile"
            refresh_value = _offline_refresh_token(store, user, body["client_id"], mobile)
        info = issue_token(store, user, body["expiration"], body["client_id"])
        data = token_data(store, info, req)
    if refresh_value is not None:
        data["refresh_token"] = refresh_value
    return Response(json={"data": data}, headers={"Wazo-Sessions-Revoked": "0"})


def _offline_refresh_token(store: Store, user: dict[str, Any], client_id: str, mobile: bool) -> str:
    """One refresh token per (user, client_id): returned unchanged, except for mobile logins."""
    existing = store.auth.refresh_token_of(user["uuid"], client_id)
    if existing is not None and not mobile:
        return existing["token"]
    if existing is not None:
        del store.auth.refresh_tokens[existing["token"]]
    value = str(uuid.uuid4())
    store.auth.refresh_tokens[value] = {
        "token": value,
        "client_id": client_id,
        "user_uuid": user["uuid"],
        "tenant_uuid": user["tenant_uuid"],
        "created_at": datetime.now(UTC).isoformat(),
        "mobile": mobile,
        "metadata": {},
    }
    return value


def issue_token(
    store: Store, user: dict[str, Any], expiration: int, client_id: str | None = None
) -> TokenInfo:
    """A new access token for `user`, its ACL computed from the user's policies now."""
    now = time.time()
    purpose = user["purpose"]
    info = TokenInfo(
        token=str(uuid.uuid4()),
        user_uuid=user["uuid"],
        tenant_uuid=user["tenant_uuid"],
        acl=store.auth.user_acl(user["uuid"]),
        purpose=purpose,
        pbx_user_uuid=user["uuid"] if purpose == "user" else None,
        expires_at=now + expiration,
        client_id=client_id,
        session_uuid=str(uuid.uuid4()),
        issued_at=now,
    )
    store.auth.tokens[info.token] = info
    return info


def token_data(store: Store, info: TokenInfo, req: Request) -> dict[str, Any]:
    """`Token.to_dict` (docs/wazo-api.md, auth §1), without any refresh token."""
    issued = datetime.fromtimestamp(info.issued_at, UTC)
    expires = datetime.fromtimestamp(info.expires_at, UTC)
    return {
        "token": info.token,
        "session_uuid": info.session_uuid,
        "auth_id": info.user_uuid,
        "xivo_user_uuid": info.pbx_user_uuid,
        "xivo_uuid": store.auth.xivo_uuid,
        "issued_at": issued.astimezone().replace(tzinfo=None).isoformat(),
        "expires_at": expires.astimezone().replace(tzinfo=None).isoformat(),
        "utc_issued_at": issued.strftime(_UTC_FORMAT),
        "utc_expires_at": expires.strftime(_UTC_FORMAT),
        "acl": list(info.acl),
        "metadata": {
            "uuid": info.user_uuid,
            "tenant_uuid": info.tenant_uuid,
            "auth_id": info.user_uuid,
            "pbx_user_uuid": info.pbx_user_uuid,
            "xivo_uuid": store.auth.xivo_uuid,
            "purpose": info.purpose,
        },
        "remote_addr": "127.0.0.1",
        "user_agent": req.headers.get("User-Agent") or "",
    }


def _checked_token(req: Request) -> TokenInfo:
    """The path's token, checked against `?scope=` and `?tenant=` (docs/wazo-api.md, auth §2)."""
    store = req.sandbox.store
    info = store.auth.live_token(req.path_params["token"], time.time())
    if info is None:
        raise auth_legacy_error(404, "No such token")
    scope = req.params.get("scope")
    if scope and not AccessCheck(
        info.acl, info.user_uuid, info.session_uuid
    ).matches_required_access(scope):
        raise auth_legacy_error(403, f"Unauthorized for {scope}")
    tenant = req.params.get("tenant")
    if tenant and tenant not in store.visible_tenants(info.tenant_uuid):
        raise auth_legacy_error(403, f"Unauthorized for tenant {tenant}")
    return info


def get_token(req: Request) -> Response:
    info = _checked_token(req)
    return Response(json={"data": token_data(req.sandbox.store, info, req)})


def head_token(req: Request) -> Response:
    _checked_token(req)
    return Response(status=204)


def revoke_token(req: Request) -> Response:
    """200 even for an unknown token (docs/wazo-api.md, auth §2)."""
    with req.sandbox.store.lock:
        req.sandbox.store.auth.tokens.pop(req.path_params["token"], None)
    return Response(json={"data": {"message": "success"}})


def check_scopes(req: Request) -> Response:
    """A dict `{acl: bool}`, not the list the spec describes (docs/wazo-api.md, auth §9)."""
    store = req.sandbox.store
    info = store.auth.live_token(req.path_params["token"], time.time())
    if info is None:
        raise auth_legacy_error(404, "No such token")
    body = req.json()
    scopes = body.get("scopes") if isinstance(body, dict) else None
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise _validation_error({"scopes": ["Not a valid list."]})
    tenant = body.get("tenant_uuid")
    if tenant and tenant not in store.visible_tenants(info.tenant_uuid):
        raise auth_legacy_error(403, f"Unauthorized for tenant {tenant}")
    check = AccessCheck(info.acl, info.user_uuid, info.session_uuid)
    return Response(
        json={"scopes": {scope: check.matches_required_access(scope) for scope in scopes}}
    )
