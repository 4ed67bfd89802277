"""An emulated Wazo stack (auth, confd, call-logd, calld) on 127.0.0.1.

Two layouts: `nginx` (the default), every daemon behind one port at `/api/<daemon>/<version>`
as a real stack serves them on 443; `direct`, each daemon on its own port at its own prefix, as
on the host itself (`/0.1` auth on 9497, …), for scripts written with the official clients.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import auth, calld, calllogd, confd
from .costs import Costs
from .faults import Fault, Faults
from .routing import ApiFault, Request, Response, Router, TokenInfo
from .seed import ADMIN_PASSWORD, ADMIN_USERNAME, SeedSpec, seed
from .server import LoggedRequest, RequestLog, SandboxServer
from .store import Store
from .tls import TlsFiles

LAYOUTS = ("nginx", "direct")
# docs/wazo-api.md (auth §0, confd §0, call-logd §0, calld §0): each daemon's own port and prefix
DIRECT_PORTS = {"auth": 9497, "confd": 9486, "call-logd": 9298, "calld": 9500}
VERSIONS = {"auth": "0.1", "confd": "1.1", "call-logd": "1.0", "calld": "1.0"}
DEFAULT_BASE_PORT = 9000

__all__ = [
    "DIRECT_PORTS",
    "ApiFault",
    "Costs",
    "Fault",
    "Faults",
    "LoggedRequest",
    "Request",
    "RequestLog",
    "Response",
    "Router",
    "Sandbox",
    "SeedSpec",
    "Store",
    "TokenInfo",
]


def build_router() -> Router:
    """A router with every emulated service; each registers one module per resource."""
    router = Router()
    for service in (auth, confd, calllogd, calld):
        service.register(router)
    return router


class Sandbox:
    """A seeded, emulated Wazo stack served on 127.0.0.1 (see `sandbox-contract`)."""

    ADMIN_USERNAME = ADMIN_USERNAME
    ADMIN_PASSWORD = ADMIN_PASSWORD

    def __init__(
        self,
        spec: SeedSpec | None = None,
        *,
        port: int = 0,
        latency: float = 0.0,
        export_delay: float = 0.2,
        spool_dir: Path | None = None,
        costs: Costs | None = None,
        layout: str = "nginx",
        base_port: int = DEFAULT_BASE_PORT,
        tls: TlsFiles | None = None,
    ) -> None:
        """`port`: the nginx layout's one port (0 = a free one).

        `layout="direct"`: each daemon on `base_port + (its real port - 9000)`, so 9000 gives
        the real ports and 19000 gives 19497, 19486, 19298, 19500; `base_port=0` gives each
        a free port (see `urls`).
        """
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
        self.layout = layout
        self.base_port = base_port
        self.spec = spec or SeedSpec()
        self.tls = tls  # HTTPS with these files (`sandbox/tls.py`), else plain HTTP
        self.latency = latency
        self.costs = costs or Costs()  # off unless given a scale (`--realistic-costs`)
        self.export_delay = export_delay
        self.faults = Faults(seed=self.spec.seed)
        self.log = RequestLog()
        self.store = Store()
        self.router = build_router()
        self._port = port
        self._own_spool = spool_dir is None
        self.spool_dir = (
            Path(spool_dir) if spool_dir else Path(tempfile.mkdtemp(prefix="wazo-sandbox-"))
        )
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self._server: SandboxServer | None = None
        # direct layout: one server per daemon
        self._servers: dict[str, SandboxServer] = {}
        seed(self.store, self.spec)

    @property
    def url(self) -> str:
        """The nginx layout's root URL (`urls` gives each daemon's base, in either layout)."""
        if self.layout == "direct":
            raise RuntimeError("the direct layout has one URL per daemon: use Sandbox.urls")
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def urls(self) -> dict[str, str]:
        """Each daemon's base URL, prefix included (`http://127.0.0.1:9486/1.1` …)."""
        if self.layout == "nginx":
            return {
                service: f"{self.url}/api/{service}/{version}"
                for service, version in VERSIONS.items()
            }
        if not self._servers:
            raise RuntimeError("the sandbox is not started")
        return {
            service: f"{self.scheme}://127.0.0.1:{server.server_address[1]}/{VERSIONS[service]}"
            for service, server in self._servers.items()
        }

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    def direct_port(self, service: str) -> int:
        """The port a daemon gets in the direct layout (0: a free one, once started)."""
        if self.base_port == 0:
            return 0
        return self.base_port + DIRECT_PORTS[service] - DEFAULT_BASE_PORT

    def start(self) -> Sandbox:
        if self._server is not None or self._servers:
            return self
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        context = self.tls.server_context() if self.tls else None
        try:
            if self.layout == "nginx":
                self._server = self._serve(SandboxServer(self, self._port, tls=context))
            else:
                for service in DIRECT_PORTS:
                    port = self.direct_port(service)
                    server = SandboxServer(self, port, service, tls=context)
                    self._servers[service] = self._serve(server)
        except OSError:
            self.stop()
            raise
        return self

    @staticmethod
    def _serve(server: SandboxServer) -> SandboxServer:
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return server

    def stop(self) -> None:
        servers = [self._server] if self._server is not None else []
        servers += self._servers.values()
        for server in servers:
            server.shutdown()
            server.close_connections()
            server.server_close()
        self._server = None
        self._servers = {}
        if self._own_spool:
            shutil.rmtree(self.spool_dir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def clock(self) -> datetime:
        return datetime.now(UTC)

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now; refresh tokens keep working."""
        now = time.time()
        with self.store.lock:
            for info in self.store.auth.tokens.values():
                info.expires_at = min(info.expires_at, now)
