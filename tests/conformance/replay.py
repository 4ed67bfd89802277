"""Replay of the conformance corpus: substitution, one request, and the comparison of its answer.

The corpus format is `wazo-conformance/1`: each case is a request (and follow-up `then` steps)
recorded against the real daemons, with the status, exact values, required keys, asserts,
headers, content types and shapes they answered. This module knows the format only; the
placeholder values come from `placeholders.py`.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
CASES_ENV = "WAZO_CONFORMANCE_CASES"
FORMAT = "wazo-conformance/1"
POLL_TIMEOUT = 30.0
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_INDEX = re.compile(r"^(.*)\[(\d*)\]$")


def corpus_path() -> Path:
    """`$WAZO_CONFORMANCE_CASES`, else `shared/wazo-api/conformance/cases.json` beside the repo."""
    configured = os.environ.get(CASES_ENV)
    if configured:
        return Path(configured)
    return REPO.parent / "shared" / "wazo-api" / "conformance" / "cases.json"


def load_corpus(path: Path) -> dict[str, Any]:
    corpus = json.loads(path.read_text())
    if corpus.get("format") != FORMAT:
        raise ValueError(f"{path}: format {corpus.get('format')!r}, expected {FORMAT!r}")
    return corpus


def steps_of(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's own request then its `then` steps, each with its service."""
    first = {key: case[key] for key in ("request", "response") if key in case}
    for key in ("capture", "poll_until"):
        if key in case:
            first[key] = case[key]
    first["service"] = case["service"]
    return [first, *({"service": case["service"], **step} for step in case.get("then", ()))]


# -- substitution --------------------------------------------------------------------------


def substitute(value: Any, values: dict[str, Any]) -> Any:
    """Placeholders replaced: a string that is exactly `{x}` becomes the raw value."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(
            lambda m: _text(values[m.group(1)]) if m.group(1) in values else m.group(0), value
        )
    if isinstance(value, dict):
        return {substitute(k, values): substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


# -- paths ---------------------------------------------------------------------------------

_MISSING = object()


def select(body: Any, path: str) -> list[Any]:
    """Every value at `path` (`$.a.b`, `items[]`, `$.items[0].x`, `""` = the body)."""
    path = path.removeprefix("$").removeprefix(".")
    found = [body]
    for part in path.split(".") if path else ():
        indexes: list[str] = []
        while match := _INDEX.match(part):
            part, index = match.groups()
            indexes.insert(0, index)
        next_found: list[Any] = []
        for node in found:
            value = node.get(part, _MISSING) if part and isinstance(node, dict) else node
            if not part and not isinstance(node, list | dict):
                value = _MISSING
            current = [value]
            for index in indexes:
                expanded: list[Any] = []
                for item in current:
                    if not isinstance(item, list):
                        expanded.append(_MISSING)
                    elif index == "":
                        expanded.extend(item)
                    else:
                        expanded.append(item[int(index)] if int(index) < len(item) else _MISSING)
                current = expanded
            next_found.extend(current)
        found = next_found
    return found


def select_one(body: Any, path: str) -> Any:
    values = select(body, path)
    return values[0] if len(values) == 1 else _MISSING


# -- shapes --------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _scalar_types(shape: Any) -> set[str]:
    if isinstance(shape, dict):
        return {"object"}
    if isinstance(shape, list):
        return {"array"}
    return set(str(shape).split("|"))


def type_conflict(value: Any, shape: Any) -> str | None:
    """Why `value` cannot be of `shape` (non-null types only), or None."""
    actual = json_type(value)
    allowed = _scalar_types(shape)
    if actual == "null" or allowed == {"null"}:
        return None  # nullability differences are informative
    if actual == "integer" and "number" in allowed:
        return None
    if actual not in allowed:
        return f"is {actual} ({_short(value)}), real server: {'|'.join(sorted(allowed))}"
    return None


def shape_differences(value: Any, shape: Any, where: str = "$") -> tuple[list[str], list[str]]:
    """(type divergences, informative key differences) of `value` against an observed shape."""
    conflict = type_conflict(value, shape)
    if conflict:
        return [f"{where} {conflict}"], []
    errors: list[str] = []
    notes: list[str] = []
    if isinstance(shape, dict) and isinstance(value, dict):
        for name, sub in shape.items():
            if name not in value:
                notes.append(f"{where}.{name} missing")
                continue
            e, n = shape_differences(value[name], sub, f"{where}.{name}")
            errors += e
            notes += n
        notes += [f"{where}.{name} extra" for name in value if name not in shape]
    elif isinstance(shape, list) and isinstance(value, list) and shape:
        for index, item in enumerate(value):
            e, n = shape_differences(item, shape[0], f"{where}[{index}]")
            errors += e
            notes += n
    return errors, notes


def shape_at(shape: Any, path: str) -> Any:
    """The observed shape of the objects at a `required_keys` path."""
    for part in path.split(".") if path else ():
        is_list = part.endswith("[]")
        name = part.removesuffix("[]")
        shape = shape.get(name) if isinstance(shape, dict) else None
        if is_list:
            shape = shape[0] if isinstance(shape, list) and shape else None
    return shape


# -- comparison ----------------------------------------------------------------------------


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected if isinstance(expected, bool) else False
    if isinstance(expected, int) and isinstance(actual, str) and actual.isdigit():
        return False
    return actual == expected


def _without_timestamp(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timestamp(v) for k, v in value.items() if k != "timestamp"}
    return value


def check_exact(body: Any, exact: dict[str, Any], values: dict[str, Any]) -> list[str]:
    errors = []
    for path, expected in exact.items():
        expected = substitute(expected, values)
        actual = select_one(body, path)
        if actual is _MISSING:
            errors.append(f"exact {path}: missing, real server: {_short(expected)}")
        elif not _equal(_without_timestamp(actual), _without_timestamp(expected)):
            errors.append(f"exact {path}: {_short(actual)}, real server: {_short(expected)}")
    return errors


def check_required(body: Any, required: dict[str, list[str]], shape: Any) -> list[str]:
    errors = []
    for path, names in required.items():
        objects = [obj for obj in select(body, path) if obj is not _MISSING]
        observed = shape_at(shape, path) if shape is not None else None
        for index, obj in enumerate(objects):
            where = f"{path or '$'}#{index}"
            if not isinstance(obj, dict):
                errors.append(f"required {where}: not an object ({_short(obj)})")
                continue
            for name in names:
                if name not in obj:
                    errors.append(f"required {where}: key {name!r} missing")
                    continue
                sub = observed.get(name) if isinstance(observed, dict) else None
                if sub is not None:
                    conflict = type_conflict(obj[name], sub)
                    if conflict:
                        errors.append(f"required {where}.{name} {conflict}")
    return errors


def _sort_value(value: Any, as_text: bool) -> Any:
    if as_text:
        return str(value).lower()
    return (value is None, value)


def check_asserts(
    body: Any, asserts: Iterable[dict[str, Any]], values: dict[str, Any]
) -> list[str]:
    errors = []
    for check in asserts:
        check = substitute(check, values)
        kind = check["kind"]
        label = f"assert {kind} {check.get('path', '')}"
        if kind in ("len_le", "len_eq"):
            found = select_one(body, check["path"])
            if not isinstance(found, list):
                errors.append(f"{label}: not a list ({_short(found)})")
            elif kind == "len_le" and not len(found) <= check["value"]:
                errors.append(f"{label}: {len(found)} items, real server: <= {check['value']}")
            elif kind == "len_eq" and len(found) != check["value"]:
                errors.append(f"{label}: {len(found)} items, real server: {check['value']}")
        elif kind in ("gt", "eq"):
            found = select_one(body, check["path"])
            if found is _MISSING:
                errors.append(f"{label}: missing")
            elif kind == "gt" and not (isinstance(found, int | float) and found > check["value"]):
                errors.append(f"{label}: {_short(found)}, real server: > {check['value']}")
            elif kind == "eq" and not _equal(found, check["value"]):
                errors.append(f"{label}: {_short(found)}, real server: {_short(check['value'])}")
        elif kind == "le_paths":
            a, b = select_one(body, check["a"]), select_one(body, check["b"])
            if not (isinstance(a, int | float) and isinstance(b, int | float) and a <= b):
                errors.append(f"assert {check['a']} <= {check['b']}: {_short(a)} vs {_short(b)}")
        elif kind == "sorted":
            items = select(body, check["path"])
            keys = [
                _sort_value(item.get(check["key"]) if isinstance(item, dict) else None,
                            check.get("as") == "text")
                for item in items
            ]  # fmt: skip
            wanted = sorted(keys, reverse=bool(check.get("desc")))
            if keys != wanted:
                shown = [item.get(check["key"]) for item in items if isinstance(item, dict)]
                order = "desc" if check.get("desc") else "asc"
                errors.append(f"{label}: {check['key']} not sorted {order}: {_short(shown)}")
        elif kind in ("all_eq", "any_eq"):
            items = [item for item in select(body, check["path"]) if isinstance(item, dict)]
            hits = [_equal(item.get(check["key"]), check["value"]) for item in items]
            if kind == "all_eq" and not all(hits):
                seen = sorted({_short(item.get(check["key"])) for item in items})
                errors.append(f"{label}: not every {check['key']} is {check['value']!r}: {seen}")
            if kind == "any_eq" and not any(hits):
                errors.append(f"{label}: no {check['key']} == {_short(check['value'])}")
        elif kind == "all_nonempty":
            items = [item for item in select(body, check["path"]) if isinstance(item, dict)]
            empty = [i for i, item in enumerate(items) if not item.get(check["key"])]
            if empty:
                errors.append(f"{label}: {check['key']} empty on items {empty[:10]}")
        else:
            errors.append(f"assert kind {kind!r} unknown to the replayer")
    return errors


def check_headers(
    response: requests.Response, expected: dict[str, Any], status: int, values: dict[str, Any]
) -> list[str]:
    errors = []
    for name, rule in expected.items():
        actual = response.headers.get(name)
        if name.lower() == "content-length" and status != 206:
            continue  # the corpus pins Content-Length only on a 206
        if isinstance(rule, str):
            wanted = substitute(rule, values)
            if actual != wanted:
                errors.append(f"header {name}: {actual!r}, real server: {wanted!r}")
            continue
        prefix = substitute(rule.get("prefix", ""), values)
        suffix = substitute(rule.get("suffix", ""), values)
        if actual is None or not actual.startswith(prefix) or not actual.endswith(suffix):
            errors.append(
                f"header {name}: {actual!r}, real server: {prefix!r}…{suffix!r}"
                f" (seen {substitute(rule.get('example'), values)!r})"
            )
    return errors


def body_kind_of(response: requests.Response, content_type: str) -> str:
    if not response.content:
        return "empty"
    disposition = response.headers.get("Content-Disposition", "")
    if ".csv" in disposition or content_type == "text/csv":
        return "csv"
    if content_type == "application/json":
        return "json"
    if content_type == "text/html":
        return "html"
    if content_type.startswith("audio/"):
        return "audio"
    if content_type == "application/zip":
        return "zip"
    return "text"


def check_body_kind(response: requests.Response, expected: dict[str, Any]) -> list[str]:
    errors = []
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    kind = body_kind_of(response, content_type)
    wanted_kind = expected.get("body_kind")
    if wanted_kind == "empty":
        if response.content:
            errors.append(f"body: {len(response.content)} bytes, real server: empty")
        return errors
    wanted_type = expected.get("content_type")
    if wanted_type and content_type != wanted_type:
        errors.append(f"content type {content_type!r}, real server: {wanted_type!r}")
    if wanted_kind and kind != wanted_kind:
        errors.append(f"body kind {kind!r}, real server: {wanted_kind!r}")
    first = expected.get("first_bytes")
    if first is not None:
        if wanted_kind == "html":
            actual = response.content[:15].decode("latin-1").lower()
            if actual != first[:15].lower():
                errors.append(f"html starts {actual!r}, real server: {first[:15]!r}")
        elif wanted_kind == "csv":
            header_row = response.content.decode("utf-8", "replace").splitlines()[:1]
            if header_row != [first]:
                errors.append(f"csv header {_short(header_row)}, real server: {first!r}")
        else:
            magic = first.encode("latin-1")
            if not response.content.startswith(magic):
                errors.append(f"body starts {response.content[:8]!r}, real server: {magic!r}")
    return errors


@dataclass
class StepResult:
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def compare(
    response: requests.Response, expected: dict[str, Any], values: dict[str, Any]
) -> StepResult:
    """Everything the corpus pins about one answer, in the README's order of importance."""
    result = StepResult()
    if response.status_code != expected["status"]:
        result.errors.append(
            f"status {response.status_code}, real server: {expected['status']}"
            f" (body {_short(response.text, 300)})"
        )
        return result
    body: Any = _MISSING
    if expected.get("body_kind") == "json":
        try:
            body = response.json()
        except ValueError:
            result.errors.append(f"body is not JSON: {_short(response.text, 200)}")
    if body is not _MISSING:
        shape = expected.get("shape")
        result.errors += check_exact(body, expected.get("exact", {}), values)
        result.errors += check_required(body, expected.get("required_keys", {}), shape)
        result.errors += check_asserts(body, expected.get("asserts", ()), values)
        if shape is not None:
            type_errors, key_notes = shape_differences(body, shape)
            result.errors += [f"shape {error}" for error in type_errors]
            result.notes += key_notes
    result.errors += check_headers(
        response, expected.get("headers", {}), response.status_code, values
    )
    result.errors += check_body_kind(response, expected)
    return result


# -- sending -------------------------------------------------------------------------------


@dataclass
class Target:
    """Where each service answers: `base(service)` is the whole base URL of that service."""

    base: Callable[[str], str]

    def service_path(self, service: str) -> str:
        return "/" + self.base(service).split("://", 1)[1].partition("/")[2]


def send(
    session: requests.Session, target: Target, step: dict[str, Any], values: dict[str, Any]
) -> requests.Response:
    request = substitute(step["request"], values)
    query = {k: _text(v) for k, v in (request.get("query") or {}).items()}
    kwargs: dict[str, Any] = {
        "params": query,
        "headers": {k: _text(v) for k, v in (request.get("headers") or {}).items()},
        "allow_redirects": False,
        "timeout": 30,
    }
    if "json" in request:
        kwargs["json"] = request["json"]
    url = target.base(step["service"]) + request["path"]
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        response = session.request(request["method"], url, **kwargs)
        until = step.get("poll_until")
        if not until or time.monotonic() > deadline or _reached(response, until, values):
            return response
        time.sleep(0.05)


def _reached(response: requests.Response, until: dict[str, Any], values: dict[str, Any]) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return not check_exact(body, until, values)


def capture(
    response: requests.Response, rules: dict[str, str], values: dict[str, Any]
) -> list[str]:
    errors = []
    for name, path in rules.items():
        try:
            value = select_one(response.json(), path)
        except ValueError:
            value = _MISSING
        if value is _MISSING:
            errors.append(f"capture {name} from {path}: nothing there")
        else:
            values[name] = value
    return errors


def replay_case(
    session: requests.Session, target: Target, case: dict[str, Any], values: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """(divergences, informative notes) of one case; every step runs, whatever fails."""
    values = dict(values)
    errors: list[str] = []
    notes: list[str] = []
    for number, step in enumerate(steps_of(case)):
        values["service_path"] = target.service_path(step["service"])
        values["service_base"] = target.base(step["service"])
        label = "request" if number == 0 else f"then[{number - 1}]"
        request = step["request"]
        where = f"{label} {request['method']} {step['service']} {request['path']}"
        try:
            response = send(session, target, step, values)
        except requests.RequestException as exc:
            errors.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        step_errors = capture(response, step.get("capture", {}), values)
        result = compare(response, step["response"], values)
        errors += [f"{where}: {e}" for e in step_errors + result.errors]
        notes += [f"{where}: {n}" for n in result.notes]
    return errors, notes
