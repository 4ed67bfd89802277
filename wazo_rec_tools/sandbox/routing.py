"""Routes, requests, responses and the error shapes of the emulated Wazo services."""

from __future__ import annotations

import json as jsonlib
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from . import Sandbox

BAD_REQUEST_MESSAGE = "The browser (or proxy) sent a request that this server could not understand."

# Error body shapes: confd answers a list of strings, auth's token endpoints the legacy dict,
# everything else xivo's APIException dict.
SHAPE_LIST = "list"
SHAPE_XIVO = "xivo"
SHAPE_LEGACY = "legacy"


class ApiFault(Exception):
    """Raise from a handler to answer an error with `status` and JSON `body`.

    `response`, when set, is sent as is instead (an error that is not JSON).
    """

    def __init__(self, status: int, body: Any, response: Response | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.response = response


FLASK_NOT_FOUND_HTML = (
    b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on the server. If you entered the URL manually please "
    b"check your spelling and try again.</p>\n"
)


def flask_not_found_response() -> Response:
    """Flask's own 404 page: every daemon answers it for a path no route takes (werkzeug)."""
    return Response(status=404, body=FLASK_NOT_FOUND_HTML, content_type="text/html; charset=utf-8")


def html_not_found() -> ApiFault:
    """A path value a route converter refuses (`<int:…>`, `<uuid:…>`): Flask's HTML 404."""
    return ApiFault(404, None, flask_not_found_response())


def xivo_error(
    status: int, error_id: str, message: str, details: dict | None = None, **extra: Any
) -> ApiFault:
    """xivo `APIException` shape (call-logd, calld, auth users/tenants)."""
    body = {
        "message": message,
        "error_id": error_id,
        "details": details or {},
        "timestamp": time.time(),
    }
    body.update(extra)
    return ApiFault(status, body)


def confd_error(status: int, *messages: str) -> ApiFault:
    """confd shape: a JSON list of strings (docs/wazo-api.md, confd §7)."""
    return ApiFault(status, list(messages))


def auth_legacy_error(status: int, reason: str) -> ApiFault:
    """wazo-auth `_error` shape (docs/wazo-api.md, auth §7)."""
    return ApiFault(status, {"reason": [reason], "timestamp": [time.time()], "status_code": status})


def error_for_shape(
    shape: str, status: int, error_id: str, message: str, **details: Any
) -> ApiFault:
    """The same error in whichever shape a route uses."""
    if shape == SHAPE_LIST:
        return confd_error(status, message)
    if shape == SHAPE_LEGACY:
        return auth_legacy_error(status, message)
    return xivo_error(status, error_id, message, details)


def shape_of_service(service: str) -> str:
    return SHAPE_LIST if service == "confd" else SHAPE_XIVO


@dataclass
class TokenInfo:
    """An access token as wazo-auth knows it."""

    token: str
    user_uuid: str
    tenant_uuid: str
    acl: list[str]
    purpose: str
    pbx_user_uuid: str | None
    expires_at: float
    client_id: str | None
    session_uuid: str
    issued_at: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    path_params: dict[str, str]
    sandbox: Sandbox
    token: TokenInfo | None = None
    tenant_uuid: str | None = None
    service: str = ""
    error_shape: str = SHAPE_XIVO
    mount: str = ""  # what the layout puts before the version (`/api/confd`, or "" direct)

    def public_path(self, internal_path: str) -> str:
        """A sandbox path (`/api/<service>/<version>/…`) as the client reaches it (Location)."""
        prefix = f"/api/{self.service}"
        if internal_path.startswith(prefix):
            return self.mount + internal_path[len(prefix) :]
        return internal_path

    def json(self) -> Any:
        """The body as JSON whatever the Content-Type (Flask `get_json(force=True)`)."""
        try:
            return jsonlib.loads(self.body)
        except ValueError:
            if self.error_shape == SHAPE_XIVO:
                raise ApiFault(400, {"message": BAD_REQUEST_MESSAGE}) from None
            raise error_for_shape(
                self.error_shape, 400, "invalid-data", BAD_REQUEST_MESSAGE
            ) from None


@dataclass
class Response:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    file: Path | None = None
    stream: Callable[[], Iterator[bytes]] | None = None
    length: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


Handler = Callable[[Request], Response]

_PARAM = re.compile(r"\{(\w+)\}")
_UUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
# The Flask converters of the real routes, by parameter name: a value they refuse matches no
# route, so the answer is Flask's HTML 404, before any token check. Other names take a segment.
CONVERTERS = {
    "cdr_id": r"\d+",
    "queue_id": r"\d+",
    "recording_uuid": _UUID,
    "export_uuid": _UUID,
    "feature_uuid": _UUID,
    "user_id": rf"\d+|{_UUID}",  # confd: `<int:id>` and `<uuid:uuid>` routes side by side
    "group_uuid": rf"\d+|{_UUID}",
}


@dataclass
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    service: str
    acl: str | None
    auth: bool
    master_only: bool
    tenant_visible: bool
    error_shape: str
    handler: Handler
    param_count: int
    query_token: bool = False

    def required_acl(self, path_params: Mapping[str, str]) -> str | None:
        """The ACL template filled with the literal path values, dots as `_`.

        See docs/wazo-api.md (auth §6).
        """
        if self.acl is None:
            return None
        values = {name: value.replace(".", "_") for name, value in path_params.items()}
        return self.acl.format(**values)


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """`/a/{name}/b` -> `^/a/(?P<name>[^/]+)/b$`: a `{name}` is one path segment."""
    parts = _PARAM.split(pattern)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>{CONVERTERS.get(part, '[^/]+')})"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


class RouteNotFound(Exception):
    """No route for that path (404) or none for that method (405, `allowed` set)."""

    def __init__(self, allowed: set[str]) -> None:
        super().__init__(sorted(allowed))
        self.allowed = allowed


class Router:
    """Routes indexed by the number of path segments; literal routes win over `{param}` ones."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._by_length: dict[int, list[Route]] = {}

    def route(
        self,
        method: str,
        pattern: str,
        *,
        service: str,
        acl: str | None = None,
        auth: bool = True,
        master_only: bool = False,
        tenant_visible: bool = True,
        error_shape: str | None = None,
        query_token: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register a handler.

        `acl` is a template (`confd.users.{user_id}.update`). `tenant_visible`: the
        Wazo-Tenant header must be visible to the token (401 otherwise) and becomes
        `req.tenant_uuid`; when False the header is ignored and the token's tenant is used.
        `error_shape` overrides the service's default error shape (auth's legacy routes).
        `query_token`: `?token=` authenticates when there is no X-Auth-Token header (call-logd's
        query token extractor, used by e-mailed links).
        """

        def decorator(handler: Handler) -> Handler:
            regex = _compile_pattern(pattern)
            route = Route(
                method=method.upper(),
                pattern=pattern,
                regex=regex,
                service=service,
                acl=acl,
                auth=auth,
                master_only=master_only,
                tenant_visible=tenant_visible,
                error_shape=error_shape or shape_of_service(service),
                handler=handler,
                param_count=len(_PARAM.findall(pattern)),
                query_token=query_token,
            )
            self.routes.append(route)
            bucket = self._by_length.setdefault(pattern.count("/"), [])
            bucket.append(route)
            bucket.sort(key=lambda r: r.param_count)
            return handler

        return decorator

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for `method path` and its URL-decoded path values, or RouteNotFound."""
        allowed: set[str] = set()
        head_fallback: tuple[Route, dict[str, str]] | None = None
        matched_pattern: str | None = None
        for route in self._by_length.get(path.count("/"), ()):
            if matched_pattern is not None and route.pattern != matched_pattern:
                # A more literal pattern already matched the path: it owns it.
                continue
            match = route.regex.match(path)
            if match is None:
                continue
            matched_pattern = route.pattern
            params = {name: unquote(value) for name, value in match.groupdict().items()}
            if route.method == method:
                return route, params
            allowed.add(route.method)
            if method == "HEAD" and route.method == "GET":
                head_fallback = (route, params)
        if head_fallback is not None:
            return head_fallback
        raise RouteNotFound(allowed)
