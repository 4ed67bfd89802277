"""confd list parameters, search configs and the list envelope (docs/wazo-api.md, confd §1)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..routing import Request, Response, confd_error
from .schema import LENIENT_FALSE, LENIENT_TRUE

LIST_PARAMS = frozenset({"limit", "offset", "order", "direction", "search", "recurse", "view"})
_CACHE_CAP = 256


@dataclass(frozen=True)
class SearchConfig:
    """xivo-dao `resources/<r>/search.py`: filter/order columns, search columns, default order."""

    columns: Mapping[str, Callable[[dict[str, Any]], Any]]
    search: tuple[str, ...]
    default_order: str
    multi_value: frozenset[str] = frozenset()  # comma-separated exact filters (users)
    casefolded: frozenset[str] = frozenset()  # "collated" Python sort (users)
    name: str = ""
    order_as_text: bool = False  # users: every column sorts as lowered text (ids: 10 < 2)


def key(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(name)


def first_extension(field_name: str) -> Callable[[dict[str, Any]], Any]:
    """A field of the first extension (users: of their first line)."""

    def getter(row: dict[str, Any]) -> Any:
        extensions = row.get("extensions")
        if extensions is None:
            lines = row.get("lines") or ()
            extensions = lines[0]["extensions"] if lines else ()
        return extensions[0][field_name] if extensions else None

    return getter


@dataclass
class ListQuery:
    limit: int | None
    offset: int
    order: str
    direction: str
    search: str | None
    recurse: bool
    filters: dict[str, str] = field(default_factory=dict)


def _list_error(name: str, message: str, constraint_id: str, constraint: Any) -> Exception:
    detail = {"message": message, "constraint_id": constraint_id, "constraint": constraint}
    return confd_error(400, f"Input Error - {name}: {detail!r}")


def _non_negative(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise _list_error(name, "Not a valid integer.", "type", "integer") from None
    if number < 0:
        # the range validator's message is a list of dicts, keys in this order (corpus)
        detail = {
            "constraint_id": "range",
            "constraint": {"min": 0},
            "message": "Must be greater than or equal to 0.",
        }
        raise confd_error(400, f"Input Error - {name}: {[detail]!r}")
    return number


def parse_query(params: Mapping[str, str], config: SearchConfig) -> ListQuery:
    limit = _non_negative(params, "limit")
    if limit == 0:
        # docs/wazo-api.md (confd §1): accepted by the schema, refused by the DAO.
        raise confd_error(
            400, "Input Error - field 'limit': wrong type. Should be a positive number"
        )
    offset = _non_negative(params, "offset") or 0
    order = params.get("order") or config.default_order
    if order not in config.columns:
        raise confd_error(400, f"Input Error - order: column '{order}' was not found")
    direction = params.get("direction") or "asc"
    if direction not in ("asc", "desc"):
        raise confd_error(400, "Input Error - direction: must be 'asc' or 'desc'")
    recurse_value = params.get("recurse", "false")
    if recurse_value in LENIENT_TRUE:
        recurse = True
    elif recurse_value in LENIENT_FALSE:
        recurse = False
    else:
        raise _list_error("recurse", "Not a valid boolean.", "type", "boolean")
    filters = {
        name: value
        for name, value in params.items()
        if name in config.columns and name not in LIST_PARAMS
    }
    return ListQuery(
        limit, offset, order, direction, params.get("search") or None, recurse, filters
    )


def fold(value: Any) -> str:
    """unaccent + ILIKE: accents stripped, case folded."""
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.casefold()


def like_pattern(search: str) -> re.Pattern[str]:
    """`ILIKE '%<search>%'` unescaped: `_` is any one character and `%` any run of them."""
    parts = (re.escape(char) for char in search)
    regex = "".join(".*" if p == "%" else "." if p == "_" else p for p in parts)
    return re.compile(regex, re.DOTALL)


def _matches_filter(value: Any, wanted: str, multi: bool) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value is (wanted in LENIENT_TRUE) and wanted in (LENIENT_TRUE | LENIENT_FALSE)
    if multi:
        return str(value) in wanted.split(",")
    return str(value) == wanted


def query_keys(
    cache: dict[Any, list[Any]],
    config: SearchConfig,
    rows: Mapping[Any, dict[str, Any]],
    tenants: set[str] | None,
    query: ListQuery,
) -> list[Any]:
    """The keys of `rows` matching the query, sorted, before limit/offset (cached)."""
    cache_key = (
        config.name,
        frozenset(tenants) if tenants is not None else None,
        tuple(sorted(query.filters.items())),
        query.search,
        query.order,
        query.direction,
    )
    found = cache.get(cache_key)
    if found is not None:
        return found
    selected = [
        (row_key, row)
        for row_key, row in rows.items()
        if tenants is None or row["tenant_uuid"] in tenants
    ]
    for name, wanted in query.filters.items():
        getter = config.columns[name]
        multi = name in config.multi_value
        selected = [(k, row) for k, row in selected if _matches_filter(getter(row), wanted, multi)]
    if query.search:
        needle = like_pattern(fold(query.search))
        getters = [config.columns[name] for name in config.search]
        selected = [
            (k, row)
            for k, row in selected
            if any(
                (value := getter(row)) is not None and needle.search(fold(value))
                for getter in getters
            )
        ]
    getter = config.columns[query.order]
    casefold = query.order in config.casefolded

    def sort_key(item: tuple[Any, dict[str, Any]]) -> tuple[bool, Any]:
        value = getter(item[1])
        empty = value is None or value == ""
        if empty:
            return (True, "")
        if config.order_as_text:
            return (False, str(value).casefold())
        return (False, value.casefold() if casefold and isinstance(value, str) else value)

    selected.sort(key=sort_key)
    if query.direction == "desc":
        selected.reverse()
    keys = [k for k, _ in selected]
    if len(cache) >= _CACHE_CAP:
        cache.clear()
    cache[cache_key] = keys
    return keys


def query_tenants(req: Request, query: ListQuery) -> set[str]:
    """The request's tenant, plus its sub-tenants with `recurse` (docs/wazo-api.md, confd §6)."""
    if query.recurse:
        return req.sandbox.store.visible_tenants(req.tenant_uuid)
    return {req.tenant_uuid}


def page(keys: list[Any], query: ListQuery) -> list[Any]:
    end = None if query.limit is None else query.offset + query.limit
    return keys[query.offset : end]


def list_response(
    req: Request,
    config: SearchConfig,
    table: dict[Any, dict[str, Any]],
    *,
    tenant_scoped: bool = True,
    dump: Callable[[dict[str, Any]], Any] = dict,
) -> Response:
    """A confd list answer `{total, items}` (docs/wazo-api.md, confd §1): filters, search, order,
    paging."""
    query = parse_query(req.params, config)
    tenants = query_tenants(req, query) if tenant_scoped else None
    store = req.sandbox.store
    with store.lock:
        keys = query_keys(store.confd.list_cache, config, table, tenants, query)
        items = [dump(table[k]) for k in page(keys, query)]
        body = json.dumps({"total": len(keys), "items": items}).encode()
    req.sandbox.costs.confd_list(config.name, query.limit, len(keys), len(items))
    return Response(body=body)
