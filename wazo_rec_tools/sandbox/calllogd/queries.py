"""CDR searches, as call-logd's `database/queries/call_log.py` runs them (pure functions)."""

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

_RECORDING_FILENAME = re.compile(r"^.+-(\d+)-([a-z0-9-]{36})")
_SEARCHED_FIELDS = ("source_name", "source_extension", "destination_name", "destination_extension")
_DATETIME_FIELDS = ("start", "end", "answer")


def _number_matches(pattern: str, exten: str | None) -> bool:
    """`number`: LIKE where a leading or trailing `_` is a wildcard.

    See docs/wazo-api.md (call-logd §2).
    """
    if exten is None:
        return False
    digits = pattern.strip("_")
    if pattern.startswith("_") and pattern.endswith("_") and len(pattern) > 1:
        return digits in exten
    if pattern.startswith("_"):
        return exten.endswith(digits)
    if pattern.endswith("_"):
        return exten.startswith(digits)
    return exten == digits


def _search_matches(search: str, cdr: dict[str, Any]) -> bool:
    needle = search.lower()
    return any(needle in (cdr.get(name) or "").lower() for name in _SEARCHED_FIELDS)


def matches(cdr: dict[str, Any], filters: dict[str, Any]) -> bool:
    """Whether a CDR passes every filter given (a None filter is not applied)."""
    start = datetime.fromisoformat(cdr["start"])
    if filters.get("from") and start < filters["from"]:
        return False
    if filters.get("until") and start >= filters["until"]:
        return False
    if filters.get("call_direction") and cdr["call_direction"] != filters["call_direction"]:
        return False
    # docs/wazo-api.md (call-logd §2): every call except blocked ones, unless a call_status
    # is asked for
    call_status = filters.get("call_status")
    if call_status is None and cdr["call_status"] == "blocked":
        return False
    if call_status is not None and cdr["call_status"] != call_status:
        return False
    search = filters.get("search")
    if search:
        filename = _RECORDING_FILENAME.match(search)
        if filename:
            if cdr["id"] != int(filename.group(1)):
                return False
        elif not _search_matches(search, cdr):
            return False
    number = filters.get("number")
    if number and not (
        _number_matches(number, cdr["source_extension"])
        or _number_matches(number, cdr["destination_extension"])
    ):
        return False
    tags = filters.get("tags")
    if tags and not set(tags) <= set(cdr["tags"]):
        return False
    user_uuids = filters.get("user_uuids")
    if user_uuids and not (
        cdr["source_user_uuid"] in user_uuids or cdr["destination_user_uuid"] in user_uuids
    ):
        return False
    if filters.get("from_id") is not None and cdr["id"] < filters["from_id"]:
        return False
    if filters.get("cdr_ids") and cdr["id"] not in filters["cdr_ids"]:
        return False
    recorded = filters.get("recorded")
    if recorded is not None and bool(cdr["recordings"]) != recorded:
        return False
    for name in ("conversation_id", "requested_internal_extension", "requested_internal_context"):
        if filters.get(name) is not None and cdr[name] != filters[name]:
            return False
    return True


def _sort_key(order: str):
    def key(cdr: dict[str, Any]) -> tuple:
        value = cdr.get(order)
        if value is not None and order in _DATETIME_FIELDS:
            value = datetime.fromisoformat(value)
        elif isinstance(value, dict):
            value = json.dumps(value, sort_keys=True)
        # PostgreSQL puts NULLs last in ASC order and first in DESC order
        return (value is None, value if value is not None else 0, cdr["id"])

    return key


def search(cdrs: Iterable[dict[str, Any]], tenants: set[str], request: dict[str, Any]) -> dict:
    """GET /cdr: `{"items", "total", "filtered"}` (docs/wazo-api.md, call-logd §7)."""
    in_tenants = [cdr for cdr in cdrs if cdr["tenant_uuid"] in tenants]
    selected = [cdr for cdr in in_tenants if matches(cdr, request)]
    selected.sort(key=_sort_key(request.get("order") or "start"))
    if request.get("direction", "desc") == "desc":
        selected.reverse()
    offset = request.get("offset") or 0
    limit = request.get("limit")
    # docs/wazo-api.md (call-logd §7): limit 0 means no limit (the DAO tests it for truthiness)
    page = selected[offset : offset + limit] if limit else selected[offset:]
    return {"items": page, "total": len(in_tenants), "filtered": len(selected)}
