"""The HTTP server of the sandbox: dispatch, authentication, latency, faults, request log."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .acl import AccessCheck
from .routing import (
    SHAPE_LEGACY,
    SHAPE_LIST,
    ApiFault,
    Request,
    Response,
    Route,
    RouteNotFound,
    TokenInfo,
    auth_legacy_error,
    confd_error,
    error_for_shape,
    flask_not_found_response,
    shape_of_service,
    xivo_error,
)

if TYPE_CHECKING:
    from . import Sandbox

SERVICE_PREFIXES = {
    "/api/auth/": "auth",
    "/api/confd/": "confd",
    "/api/call-logd/": "call-logd",
    "/api/calld/": "calld",
}
_CHUNK = 64 * 1024
_SMALL_BODY = 256 * 1024
_SECRET_KEYS = frozenset({"password", "refresh_token", "token"})
_TOKEN_IN_PATH = re.compile(r"^(/api/auth/0\.1/token/)[^/]+")
_LOG_CAP = 200_000


def service_of(path: str) -> str:
    for prefix, service in SERVICE_PREFIXES.items():
        if path.startswith(prefix):
            return service
    return ""


@dataclass
class LoggedRequest:
    """One request as the server saw it, secrets removed (no token, password or refresh token)."""

    method: str
    path: str
    params: dict[str, str]
    tenant: str | None
    body: Any
    status: int
    has_token: bool
    service: str


class RequestLog:
    """Thread-safe, list-like record of the requests served (status 0 = connection dropped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            if len(self._entries) >= _LOG_CAP:
                del self._entries[: _LOG_CAP // 2]
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def find(
        self, method: str | None = None, path: str | None = None, service: str | None = None
    ) -> list[LoggedRequest]:
        """Entries matching `method`, the regex `path` (searched) and `service`."""
        pattern = re.compile(path) if path is not None else None
        return [
            entry
            for entry in self
            if (method is None or entry.method == method.upper())
            and (pattern is None or pattern.search(entry.path))
            and (service is None or entry.service == service)
        ]

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        with self._lock:
            return self._entries[index]


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in _SECRET_KEYS else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _unauthorized(
    route: Route, reason: str, token: str, required: str | None, tenant: str | None
) -> ApiFault:
    """The 401 each daemon sends: they all echo the token (docs/wazo-api.md, confd §7)."""
    if route.error_shape == SHAPE_LIST:
        # confd: the str() of the auth exception's arguments, the tenant only when one was asked
        args = (token, required) if tenant is None else (token, required, tenant)
        return confd_error(401, repr(args))
    if route.error_shape == SHAPE_LEGACY:
        return auth_legacy_error(401, "Unauthorized")
    details: dict[str, Any] = {
        "invalid_token": token,
        "reason": reason,
        "required_access": required,
    }
    if tenant is not None:
        details["tenant_uuid"] = tenant
    return xivo_error(401, "unauthorized", "Unauthorized", details)


def _not_master(route: Route, token: str, required: str | None, tenant: str | None) -> ApiFault:
    """confd's `required_master_tenant` refusal: its only argument is the token."""
    if route.error_shape == SHAPE_LIST:
        return confd_error(401, token)
    return _unauthorized(route, "missing_permission_or_invalid_tenant", token, required, tenant)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        sandbox: Sandbox,
        port: int,
        service: str | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`service` set: the direct layout, that one daemon at its real prefix (`/1.1/…`).

        `tls` set: HTTPS with that context (`sandbox/tls.py`)."""
        self.sandbox = sandbox
        self.service = service
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.access_checks: dict[str, AccessCheck] = {}
        super().__init__(("127.0.0.1", port), SandboxHandler)
        if tls is not None:
            # the handshake happens in the request's thread (finish_request), not in accept
            self.socket = tls.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(10)
                request.do_handshake()
                request.settimeout(None)
            except (OSError, ssl.SSLError):
                return  # a client that refuses the certificate, or speaks plain HTTP
        super().finish_request(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End the keep-alive connections still open (their threads then exit)."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that go away are normal here; stay quiet."""

    def access_check(self, info: TokenInfo) -> AccessCheck:
        check = self.access_checks.get(info.token)
        if check is None:
            check = AccessCheck(info.acl, info.user_uuid, info.session_uuid)
            self.access_checks[info.token] = check
        return check


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        """No per-request logging to stderr: `Sandbox.log` records requests."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    # -- dispatch -------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        sandbox = self.server.sandbox
        path, _, query = self.path.partition("?")
        if self.server.service is not None:
            # direct layout: this port is one daemon; its paths map onto the nginx ones
            path = f"/api/{self.server.service}{path}"
        body = self._read_body()
        service = service_of(path)
        params = dict(parse_qsl(query, keep_blank_values=True))
        if sandbox.latency > 0:
            time.sleep(sandbox.latency)

        route: Route | None = None
        path_params: dict[str, str] = {}
        not_found: RouteNotFound | None = None
        try:
            route, path_params = sandbox.router.resolve(method, path)
        except RouteNotFound as exc:
            not_found = exc
        shape = route.error_shape if route else shape_of_service(service)

        fault = sandbox.faults.take(method, path)
        if fault is not None:
            if fault.delay > 0:
                time.sleep(fault.delay)
            if fault.drop:
                self._log(method, path, params, body, 0, service)
                self._drop()
                return
            if fault.status is not None:
                error = error_for_shape(shape, fault.status, "injected-fault", "Injected fault")
                self._log(method, path, params, body, fault.status, service)
                self._send(Response(status=fault.status, json=error.body), method == "HEAD")
                return

        if route is None:
            response = self._not_routed(not_found)
        else:
            req = Request(
                method=method,
                path=path,
                params=params,
                headers=self.headers,
                body=body,
                path_params=path_params,
                sandbox=sandbox,
                service=route.service,
                error_shape=route.error_shape,
                mount="" if self.server.service else f"/api/{route.service}",
            )
            response = self._handle(route, req)
        self._log(method, path, params, body, response.status, service)
        self._send(response, method == "HEAD")

    def _handle(self, route: Route, req: Request) -> Response:
        try:
            if route.auth:
                self._authenticate(route, req)
            with req.sandbox.costs.serving(route.service, req.method):
                return route.handler(req)
        except ApiFault as fault:
            if fault.response is not None:
                return fault.response
            return Response(status=fault.status, json=fault.body)
        except Exception as exc:  # an emulator bug: answer 500 like the real services
            message = f"Unexpected error: {type(exc).__name__}: {exc}"
            error = error_for_shape(route.error_shape, 500, "unexpected-error", message)
            return Response(status=500, json=error.body)

    def _authenticate(self, route: Route, req: Request) -> None:
        """Token, ACL, master-tenant and Wazo-Tenant checks (docs/wazo-api.md (call-logd §1),
        docs/wazo-api.md, confd §6)."""
        store = req.sandbox.store
        value = req.headers.get("X-Auth-Token") or ""
        if not value and route.query_token:
            value = req.params.get("token") or ""
        info = store.auth.live_token(value, time.time()) if value else None
        header_tenant = req.headers.get("Wazo-Tenant") or None
        required = route.required_acl(req.path_params)
        if info is None:
            raise _unauthorized(route, "not_found_or_expired", value, required, header_tenant)
        if not self.server.access_check(info).matches_required_access(required):
            raise _unauthorized(
                route, "missing_permission_or_invalid_tenant", value, required, header_tenant
            )
        if route.master_only and info.tenant_uuid != store.master_tenant_uuid:
            raise _not_master(route, value, required, header_tenant)
        req.token = info
        req.tenant_uuid = info.tenant_uuid
        if route.tenant_visible and header_tenant is not None:
            if header_tenant not in store.visible_tenants(info.tenant_uuid):
                if route.service == "auth":
                    # docs/wazo-api.md (auth §4): wazo-auth's own Tenant.autodetect
                    raise xivo_error(
                        401,
                        "unauthorized-tenant",
                        f'Unauthorized tenant "{header_tenant}"',
                        {"tenant_uuid": header_tenant},
                    )
                raise _unauthorized(
                    route, "missing_permission_or_invalid_tenant", value, required, header_tenant
                )
            req.tenant_uuid = header_tenant

    @staticmethod
    def _not_routed(not_found: RouteNotFound | None) -> Response:
        if not_found is not None and not_found.allowed:
            message = "The method is not allowed for the requested URL."
            allow = ", ".join(sorted(not_found.allowed))
            return Response(status=405, json={"message": message}, headers={"Allow": allow})
        return flask_not_found_response()

    # -- wire -----------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return b""

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response, head_only: bool) -> None:
        status = response.status
        headers = dict(response.headers)
        body: bytes = b""
        chunks: Iterator[bytes] | None = None
        length: int | None
        if response.json is not None:
            body = json.dumps(response.json).encode()
            length = len(body)
        elif response.body is not None:
            body = response.body
            length = len(body)
        elif response.file is not None:
            length = response.file.stat().st_size
            if not head_only:
                chunks = self._file_chunks(response)
        elif response.stream is not None:
            length = response.length
            if not head_only:
                chunks = response.stream()
        else:
            length = 0

        no_body = status == 204 or status == 304 or status < 200
        lines = [f"HTTP/1.1 {status} {_reason(status)}"]
        if not no_body:
            lines.append(f"Content-Type: {response.content_type}")
            if length is None:
                lines.append("Transfer-Encoding: chunked")
            else:
                lines.append(f"Content-Length: {length}")
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if head_only or no_body:
            self.wfile.write(head)
            return
        if chunks is None:
            if len(body) <= _SMALL_BODY:
                self.wfile.write(head + body)
            else:
                self.wfile.write(head)
                self.wfile.write(body)
            return
        self.wfile.write(head)
        for chunk in chunks:
            if not chunk:
                continue
            if length is None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
        if length is None:
            self.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _file_chunks(response: Response) -> Iterator[bytes]:
        assert response.file is not None
        with response.file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk

    def _log(
        self, method: str, path: str, params: dict[str, str], body: bytes, status: int, service: str
    ) -> None:
        parsed: Any = None
        if body:
            try:
                parsed = _redact(json.loads(body))
            except ValueError:
                parsed = None
        entry = LoggedRequest(
            method=method,
            path=_TOKEN_IN_PATH.sub(r"\1***", path),
            params={k: ("***" if k in _SECRET_KEYS else v) for k, v in params.items()},
            tenant=self.headers.get("Wazo-Tenant") or None,
            body=parsed,
            status=status,
            has_token=bool(self.headers.get("X-Auth-Token")),
            service=service,
        )
        self.server.sandbox.log.append(entry)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
