"""wazo-auth list parameters: search, exact filters, order, direction, limit, offset."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..routing import Request, xivo_error

PREFIX = "/api/auth/0.1"


def _non_negative_int(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise xivo_error(
            400, "invalid-data", "Sent data is invalid", {name: {"message": "Not a valid integer."}}
        )
    return int(value)


def list_response(
    items: Iterable[dict[str, Any]],
    params: Mapping[str, str],
    *,
    search_fields: tuple[str, ...],
    filter_fields: tuple[str, ...],
    order_fields: tuple[str, ...],
    default_order: str,
) -> dict[str, Any]:
    """`{total, filtered, items}`: total before filters, filtered after them, items paged."""
    rows = list(items)
    total = len(rows)
    for name in filter_fields:
        if name in params:
            wanted = params[name]
            rows = [row for row in rows if str(_flat(row.get(name))) == wanted]
    search = params.get("search")
    if search:
        needle = search.lower()
        rows = [
            row
            for row in rows
            if any(needle in str(row.get(name) or "").lower() for name in search_fields)
        ]
    order = params.get("order") or default_order
    if order not in order_fields:
        raise xivo_error(
            400,
            "invalid-data",
            "Sent data is invalid",
            {"order": {"message": f"Invalid order {order!r}"}},
        )
    direction = params.get("direction") or "asc"
    if direction not in ("asc", "desc"):
        raise xivo_error(
            400,
            "invalid-data",
            "Sent data is invalid",
            {"direction": {"message": "Must be one of: asc, desc."}},
        )
    rows.sort(key=lambda row: (row.get(order) is None, str(row.get(order) or "").lower()))
    if direction == "desc":
        rows.reverse()
    filtered = len(rows)
    offset = _non_negative_int(params, "offset") or 0
    limit = _non_negative_int(params, "limit")
    rows = rows[offset:] if limit is None else rows[offset : offset + limit]
    return {"total": total, "filtered": filtered, "items": rows}


def _flat(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return value


def is_true(value: str | None) -> bool:
    """marshmallow Boolean truthy strings, as `recurse` accepts them."""
    return (value or "").lower() in ("true", "1", "yes", "on", "y", "t")


def requested_tenants(req: Request) -> set[str]:
    """The request's tenant, plus its sub-tenants with `recurse=true`.

    See docs/wazo-api.md (auth §4).
    """
    if is_true(req.params.get("recurse")):
        return req.sandbox.store.visible_tenants(req.tenant_uuid)
    return {req.tenant_uuid}
