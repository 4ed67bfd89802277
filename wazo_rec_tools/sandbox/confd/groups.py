"""GET /groups, GET/PUT /groups/{group_uuid} (docs/wazo-api.md, confd §3)."""

from __future__ import annotations

from typing import Any

from ..routing import Request, Response, Router
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
from .users import link, links_base

_BOOLEANS = (
    "dtmf_record_toggle",
    "ignore_forward",
    "mark_answered_elsewhere",
    "ring_in_use",
    "enabled",
)
_STRINGS = (
    "preprocess_subroutine",
    "caller_id_mode",
    "caller_id_name",
    "music_on_hold",
    "ring_strategy",
)
_INTEGERS = ("timeout", "user_timeout", "retry_delay", "max_calls")

GROUP_SEARCH = SearchConfig(
    name="groups",
    columns={
        **{name: key(name) for name in ("id", "name", "label", "preprocess_subroutine")},
        "exten": first_extension("exten"),
    },
    search=("id", "name", "label", "preprocess_subroutine", "exten"),
    default_order="label",
)


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/groups", service="confd", acl="confd.groups.read")(list_groups)
    router.route(
        "GET",
        f"{PREFIX}/groups/{{group_uuid}}",
        service="confd",
        acl="confd.groups.{group_uuid}.read",
    )(get_group)
    router.route(
        "PUT",
        f"{PREFIX}/groups/{{group_uuid}}",
        service="confd",
        acl="confd.groups.{group_uuid}.update",
    )(update_group)


def dump_group(req: Request, group: dict[str, Any], base: str) -> dict[str, Any]:
    """GroupSchema: `members.users` items carry uuid, firstname, lastname, priority and links,
    no username (docs/wazo-api.md, confd §3); names are the users' current ones."""
    confd = req.sandbox.store.confd
    members = []
    for member in group["members"]["users"]:
        user = confd.user(member["uuid"]) or member
        members.append(
            {
                "uuid": member["uuid"],
                "firstname": user.get("firstname"),
                "lastname": user.get("lastname"),
                "priority": member["priority"],
                "links": link(base, "users", member["uuid"]),
            }
        )
    return {
        **group,
        "members": {**group["members"], "users": members},
        "links": link(base, "groups", group["uuid"]),
    }


def list_groups(req: Request) -> Response:
    confd = req.sandbox.store.confd
    base = links_base(req)
    return list_response(
        req, GROUP_SEARCH, confd.groups, dump=lambda group: dump_group(req, group, base)
    )


def visible_group(req: Request) -> dict[str, Any]:
    """The path's group (uuid or int id) within the request tenant's subtree, else 404."""
    value = req.path_params["group_uuid"]
    if value.isdigit():
        criteria = f"'id': {int(value)}"
    elif is_uuid(value):
        criteria = f"'uuid': '{value}'"
    else:
        raise flask_not_found()
    store = req.sandbox.store
    group = store.confd.group(value)
    if group is None or group["tenant_uuid"] not in store.visible_tenants(req.tenant_uuid):
        raise not_found("Group", criteria)
    return group


def get_group(req: Request) -> Response:
    with req.sandbox.store.lock:
        return Response(json=dump_group(req, visible_group(req), links_base(req)))


def update_group(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        group = visible_group(req)
        body = load_body(req)
        if "name" in body and "label" not in body:
            # docs/wazo-api.md (confd §3): the legacy `name` of a PUT is taken as the label
            body = {**body, "label": body["name"]}
        form, errors = check_fields(
            body,
            strict_booleans=_BOOLEANS,
            required_strings=("label",),
            strings=_STRINGS,
            integers=_INTEGERS,
        )
        if errors:
            raise input_error(errors)
        # docs/wazo-api.md (confd §3): GroupSchema's post_load sets ignore_forward on every
        # load, so a PUT without it resets it to false.
        form["ignore_forward"] = bool(form.get("ignore_forward"))
        if "label" in form and form["label"] != group["label"]:
            store.confd.changed()
        group.update(form)
        record_event(req, "group_edited", group["uuid"])
    return Response(status=204)
