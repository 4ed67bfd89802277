"""GET /users, GET/PUT /users/{user_id} (docs/wazo-api.md, confd §2)."""

from __future__ import annotations

import uuid
from typing import Any

from ..routing import Request, Response, Router, confd_error
from .listing import (
    SearchConfig,
    first_extension,
    key,
    list_response,
)
from .schema import (
    PREFIX,
    check_fields,
    flask_not_found,
    input_error,
    is_uuid,
    load_body,
    not_found,
    record_event,
)
from .state import USER_RECORD_FLAGS

RECORD_FIELDS = (*USER_RECORD_FLAGS, "online_call_record_enabled")
CALL_RECORD_CONFLICT = (
    "'call_record_enabled' is deprecated and incompatible with 'call_record_*_enabled' options"
)
_BOOLEANS = (
    *RECORD_FIELDS,
    "enabled",
    "supervision_enabled",
    "call_transfer_enabled",
    "dtmf_hangup_enabled",
)
_STRINGS = (
    "lastname",
    "email",
    "username",
    "caller_id",
    "outgoing_caller_id",
    "mobile_phone_number",
    "description",
    "userfield",
    "language",
    "timezone",
    "music_on_hold",
    "preprocess_subroutine",
)
_INTEGERS = ("ring_seconds", "simultaneous_calls", "subscription_type")
_SUMMARY_VIEWS = ("directory", "summary")


def _fullname(user: dict[str, Any]) -> str:
    return f"{user.get('firstname') or ''} {user.get('lastname') or ''}".strip()


USER_SEARCH = SearchConfig(
    name="users",
    columns={
        **{
            name: key(name)
            for name in (
                "id",
                "uuid",
                "firstname",
                "lastname",
                "caller_id",
                "description",
                "userfield",
                "email",
                "mobile_phone_number",
                "music_on_hold",
                "outgoing_caller_id",
                "preprocess_subroutine",
                "username",
                "enabled",
                "subscription_type",
            )
        },
        "fullname": _fullname,
        "voicemail_number": lambda user: (user.get("voicemail") or {}).get("number"),
        "provisioning_code": lambda user: None,
        "exten": first_extension("exten"),
        "extension": first_extension("exten"),
        "context": first_extension("context"),
    },
    search=(
        "fullname",
        "caller_id",
        "description",
        "userfield",
        "email",
        "mobile_phone_number",
        "preprocess_subroutine",
        "outgoing_caller_id",
        "exten",
        "username",
        "provisioning_code",
        "subscription_type",
    ),
    default_order="lastname",
    multi_value=frozenset({"uuid", "exten", "mobile_phone_number"}),
    casefolded=frozenset({"firstname", "lastname", "fullname", "description"}),
    order_as_text=True,
)


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/users", service="confd", acl="confd.users.read")(list_users)
    router.route(
        "GET", f"{PREFIX}/users/{{user_id}}", service="confd", acl="confd.users.{user_id}.read"
    )(get_user)
    router.route(
        "PUT", f"{PREFIX}/users/{{user_id}}", service="confd", acl="confd.users.{user_id}.update"
    )(update_user)


def links_base(req: Request) -> str:
    """confd's absolute `links` hrefs (`url_for(_external=True)`): scheme, host and API prefix."""
    scheme = "https" if getattr(req.sandbox, "tls", None) else "http"
    prefix = req.path[: req.path.index("/1.1") + len("/1.1")] if "/1.1" in req.path else PREFIX
    return f"{scheme}://{req.headers.get('Host') or '127.0.0.1'}{prefix}"


def link(base: str, rel: str, key: Any) -> list[dict[str, str]]:
    return [{"rel": rel, "href": f"{base}/{rel}/{key}"}]


def dump_user(user: dict[str, Any], base: str) -> dict[str, Any]:
    """The full UserSchema dump: the stored dict plus the computed `call_record_enabled`.

    Nested groups carry only uuid, id, name and links, never the label (docs/wazo-api.md,
    confd §2).
    """
    groups = [
        {
            "uuid": g["uuid"],
            "id": g["id"],
            "name": g["name"],
            "links": link(base, "groups", g["uuid"]),
        }
        for g in user["groups"]
    ]
    return {
        **user,
        "groups": groups,
        "call_record_enabled": all(user[flag] for flag in USER_RECORD_FLAGS),
        "links": link(base, "users", user["uuid"]),
    }


def _summary(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "uuid": user["uuid"],
        "tenant_uuid": user["tenant_uuid"],
        "firstname": user["firstname"],
        "lastname": user["lastname"],
        "email": user["email"],
        "enabled": user["enabled"],
        "provisioning_code": None,
        "extension": first_extension("exten")(user),
        "context": first_extension("context")(user),
        "subscription_type": user["subscription_type"],
    }


def list_users(req: Request) -> Response:
    view = req.params.get("view")
    if view is not None and view not in _SUMMARY_VIEWS:
        # docs/wazo-api.md (confd §2): `view=default` is not a view; omit `view` for the full
        # schema.
        raise confd_error(400, f"Input Error - view '{view}' does not exist")
    base = links_base(req)
    dump = _summary if view else (lambda user: dump_user(user, base))
    return list_response(req, USER_SEARCH, req.sandbox.store.confd.users, dump=dump)


def visible_user(req: Request) -> dict[str, Any]:
    """The path's user (int id or uuid) within the request tenant's subtree, else 404."""
    value = req.path_params["user_id"]
    if value.isdigit():
        criteria = f"'id': {int(value)}"
    elif is_uuid(value):
        criteria = f"'id': {uuid.UUID(value)!r}"
    else:
        raise flask_not_found()
    store = req.sandbox.store
    user = store.confd.user(value)
    if user is None or user["tenant_uuid"] not in store.visible_tenants(req.tenant_uuid):
        raise not_found("User", criteria)
    return user


def get_user(req: Request) -> Response:
    with req.sandbox.store.lock:
        return Response(json=dump_user(visible_user(req), links_base(req)))


def _load(body: dict[str, Any]) -> dict[str, Any]:
    """UserSchema load with `partial=True`; `call_record_enabled` expands to the four flags."""
    form, errors = check_fields(
        body,
        strict_booleans=(*_BOOLEANS, "call_record_enabled"),
        required_strings=("firstname",),
        strings=_STRINGS,
        integers=_INTEGERS,
    )
    if errors:
        raise input_error(errors)
    if "call_record_enabled" in form:
        if any(flag in body for flag in USER_RECORD_FLAGS):
            raise input_error({"_schema": [CALL_RECORD_CONFLICT]})
        value = form.pop("call_record_enabled")
        form.update(dict.fromkeys(USER_RECORD_FLAGS, value))
    return form


def update_user(req: Request) -> Response:
    if req.params.get("recursive", "").lower() in ("true", "1", "yes", "on"):
        # docs/wazo-api.md (confd §2): the recursive branch rewrites groups, lines and incalls;
        # never wanted here.
        raise confd_error(
            400,
            "Input Error - recursive: the sandbox refuses PUT /users/{id}?recursive=true: confd "
            "would replace the user's groups, lines and incalls and ignore the recording fields",
        )
    store = req.sandbox.store
    with store.lock:
        user = visible_user(req)
        form = _load(load_body(req))
        new_username = form.get("username")
        users = store.confd.users.values()
        if new_username not in (None, "", user["username"]) and any(
            other["username"] == new_username for other in users
        ):
            raise confd_error(
                400, f"Resource Error - User already exists ('username': '{new_username}')"
            )
        changed_columns = any(
            name not in RECORD_FIELDS and user.get(name) != value for name, value in form.items()
        )
        user.update(form)
        if changed_columns:
            store.confd.changed()
        record_event(req, "user_edited", user["id"])
    return Response(status=204)
