"""An emulated Wazo stack (auth, confd, call-logd, calld) on one local port, nginx layout."""

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

__all__ = [
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
    ) -> None:
        self.spec = spec or SeedSpec()
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
        self._thread: threading.Thread | None = None
        seed(self.store, self.spec)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self._server = SandboxServer(self, self._port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
            self._thread = None
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
