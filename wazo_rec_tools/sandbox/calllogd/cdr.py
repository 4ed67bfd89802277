"""GET /cdr and GET /cdr/{cdr_id} (call-logd.md §7)."""

import csv
import io
from typing import Any

from ..routing import ApiFault, Request, Response, Router, xivo_error
from . import queries
from .schemas import CDR_FIELDS, cdr_list_request
from .tenancy import requested_tenant, tenant_scope

PREFIX = "/api/call-logd/1.0"
_RECORDING_KEYS = ("uuid", "start_time", "end_time", "deleted", "filename")


def cdr_not_found(cdr_id: Any) -> ApiFault:
    return xivo_error(
        404,
        "cdr-not-found-with-given-id",
        f"CDR not found with given ID: {cdr_id}",
        {"cdr_id": cdr_id},
    )


def parse_cdr_id(value: str) -> int:
    """The `<int:cdr_id>` converter: anything else is Flask's plain 404."""
    if not value.isdigit():
        raise ApiFault(404, {"message": "The requested URL was not found on the server."})
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
    scalar_fields = [name for name in CDR_FIELDS if name not in ("recordings",)]
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
    wants_csv = request["format"] == "csv" or "text/csv" in (req.headers.get("Accept") or "")
    if wants_csv:
        return Response(
            body=_csv_body(result["items"]),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename=cdr.csv"},
        )
    return Response(json=result)


def get_cdr(req: Request) -> Response:
    cdr_id = parse_cdr_id(req.path_params["cdr_id"])
    tenant = requested_tenant(req, query_extractor=True)
    # call-logd.md §7: GET /cdr/{id} looks across sub-tenants
    with req.sandbox.store.lock:
        cdr = find_cdr(req, cdr_id, tenant_scope(req, tenant, recurse=True))
        return Response(json=snapshot(cdr))


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/cdr", service="call-logd", acl="call-logd.cdr.read")(list_cdr)
    router.route(
        "GET", f"{PREFIX}/cdr/{{cdr_id}}", service="call-logd", acl="call-logd.cdr.{cdr_id}.read"
    )(get_cdr)
