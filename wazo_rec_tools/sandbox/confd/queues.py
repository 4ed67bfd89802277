"""GET /queues, GET/PUT /queues/{queue_id}: int id only (docs/wazo-api.md, confd §4)."""

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
    load_body,
    not_found,
    record_event,
)

_BOOLEANS = (
    "dtmf_record_toggle",
    "dtmf_record_callee_enabled",
    "dtmf_record_caller_enabled",
    "dtmf_hangup_callee_enabled",
    "dtmf_hangup_caller_enabled",
    "dtmf_transfer_callee_enabled",
    "dtmf_transfer_caller_enabled",
    "enabled",
    "ignore_forward",
    "data_quality",
    "retry_on_timeout",
    "ring_on_hold",
    "announce_hold_time_on_entry",
)
_STRINGS = ("preprocess_subroutine", "caller_id_mode", "caller_id_name", "music_on_hold")
_INTEGERS = ("timeout", "wait_time_threshold")

QUEUE_SEARCH = SearchConfig(
    name="queues",
    columns={
        **{name: key(name) for name in ("id", "name", "label", "preprocess_subroutine")},
        "exten": first_extension("exten"),
    },
    search=("id", "name", "label", "preprocess_subroutine", "exten"),
    default_order="id",
)


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/queues", service="confd", acl="confd.queues.read")(list_queues)
    router.route(
        "GET", f"{PREFIX}/queues/{{queue_id}}", service="confd", acl="confd.queues.{queue_id}.read"
    )(get_queue)
    router.route(
        "PUT",
        f"{PREFIX}/queues/{{queue_id}}",
        service="confd",
        acl="confd.queues.{queue_id}.update",
    )(update_queue)


def list_queues(req: Request) -> Response:
    confd = req.sandbox.store.confd
    return list_response(req, QUEUE_SEARCH, confd.queues)


def visible_queue(req: Request) -> dict[str, Any]:
    """The path's queue within the request tenant's subtree; a non-int id is not routed."""
    value = req.path_params["queue_id"]
    if not value.isdigit():
        raise flask_not_found()
    store = req.sandbox.store
    queue = store.confd.queues.get(int(value))
    if queue is None or queue["tenant_uuid"] not in store.visible_tenants(req.tenant_uuid):
        raise not_found("Queue", f"'id': {int(value)}")
    return queue


def get_queue(req: Request) -> Response:
    with req.sandbox.store.lock:
        return Response(json=dict(visible_queue(req)))


def update_queue(req: Request) -> Response:
    """Genuinely partial: `name` is read-only, no post_load side effect."""
    store = req.sandbox.store
    with store.lock:
        queue = visible_queue(req)
        form, errors = check_fields(
            load_body(req),
            strict_booleans=_BOOLEANS,
            strings=("label", *_STRINGS),
            integers=_INTEGERS,
        )
        if errors:
            raise input_error(errors)
        if "label" in form and form["label"] != queue["label"]:
            store.confd.changed()
        queue.update(form)
        record_event(req, "queue_edited", queue["id"])
    return Response(status=204)
