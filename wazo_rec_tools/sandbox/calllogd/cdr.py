"""GET /cdr and GET /cdr/{cdr_id} (docs/wazo-api.md, call-logd §7)."""

import csv
import io
from typing import Any

from ..routing import ApiFault, Request, Response, Router, html_not_found, xivo_error
from . import queries
from .schemas import cdr_list_request
from .tenancy import requested_tenant, tenant_scope

PREFIX = "/api/call-logd/1.0"
_RECORDING_KEYS = ("uuid", "start_time", "end_time", "deleted", "filename")
# The CSV columns, in call-logd's order: no conversation_id nor destination_details.
CSV_FIELDS = (
    "id",
    "tenant_uuid",
    "answered",
    "start",
    "answer",
    "end",
    "destination_extension",
    "destination_name",
    "destination_internal_extension",
    "destination_internal_context",
    "destination_user_uuid",
    "destination_line_id",
    "duration",
    "call_direction",
    "call_status",
    "requested_name",
    "requested_extension",
    "requested_context",
    "requested_internal_extension",
    "requested_internal_context",
    "requested_user_uuid",
    "source_extension",
    "source_name",
    "source_internal_name",
    "source_internal_extension",
    "source_internal_context",
    "source_user_uuid",
    "source_line_id",
    "tags",
)
# docs/wazo-api.md (call-logd §7): call-logd labels its CSV text/html
CSV_CONTENT_TYPE = "text/html; charset=utf-8"


def cdr_not_found(cdr_id: Any) -> ApiFault:
    return xivo_error(
        404, "cdr-not-found-with-given-id", "No CDR found matching this ID", {"cdr_id": cdr_id}
    )


def parse_cdr_id(value: str) -> int:
    """The `<int:cdr_id>` converter: anything else is Flask's plain 404."""
    if not value.isdigit():
        raise html_not_found()
    return int(value)


def find_cdr(req: Request, cdr_id: int, tenants: set[str]) -> dict[str, Any]:
    cdr = req.sandbox.store.calllogd.cdrs.get(cdr_id)
    if cdr is None or cdr["tenant_uuid"] not in tenants:
        raise cdr_not_found(cdr_id)
    return cdr


def snapshot(cdr: dict[str, Any]) -> dict[str, Any]:
    """A copy that other requests cannot change while it is being serialised."""
    return {**cdr, "recordings": [dict(recording) for recording in cdr["recordings"]]}


def _csv_body(items: list[dict[str, Any]]) -> bytes:
    """`format=csv`: tags joined with `;`, recordings as `recording_{n}_{key}` (§7)."""
    scalar_fields = list(CSV_FIELDS)
    most_recordings = max((len(cdr["recordings"]) for cdr in items), default=0)
    header = list(scalar_fields)
    for n in range(1, most_recordings + 1):
        header += [f"recording_{n}_{key}" for key in _RECORDING_KEYS]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for cdr in items:
        row = []
        for name in scalar_fields:
            value = cdr.get(name)
            if name == "tags":
                value = ";".join(value)
            row.append("" if value is None else value)
        for recording in cdr["recordings"]:
            row += [recording[key] for key in _RECORDING_KEYS]
        writer.writerow(row)
    return out.getvalue().encode()


def list_cdr(req: Request) -> Response:
    request = cdr_list_request(req.params)
    tenant = requested_tenant(req, query_extractor=True)
    tenants = tenant_scope(req, tenant, request["recurse"])
    with req.sandbox.store.lock:
        result = queries.search(req.sandbox.store.calllogd.cdrs.values(), tenants, request)
        result["items"] = [snapshot(cdr) for cdr in result["items"]]
    if request["format"] == "csv":
        return _csv_response(result["items"])
    return Response(json=result)


def _csv_response(items: list[dict[str, Any]]) -> Response:
    """`?format=csv` only: an Accept header does not ask for CSV."""
    return Response(
        body=_csv_body(items),
        content_type=CSV_CONTENT_TYPE,
        headers={"Content-Disposition": "attachment; filename=cdr.csv"},
    )


def get_cdr(req: Request) -> Response:
    cdr_id = parse_cdr_id(req.path_params["cdr_id"])
    tenant = requested_tenant(req, query_extractor=True)
    # docs/wazo-api.md (call-logd §7): GET /cdr/{id} looks across sub-tenants
    with req.sandbox.store.lock:
        cdr = snapshot(find_cdr(req, cdr_id, tenant_scope(req, tenant, recurse=True)))
    if req.params.get("format") == "csv":
        return _csv_response([cdr])
    return Response(json=cdr)


def register(router: Router) -> None:
    # docs/wazo-api.md (call-logd §10): `?token=` works where the e-mailed links point
    router.route(
        "GET", f"{PREFIX}/cdr", service="call-logd", acl="call-logd.cdr.read", query_token=True
    )(list_cdr)
    router.route(
        "GET", f"{PREFIX}/cdr/{{cdr_id}}", service="call-logd", acl="call-logd.cdr.{cdr_id}.read"
    )(get_cdr)
