"""HEAD/GET /status: no authentication (auth.md §0)."""

from __future__ import annotations

from ..routing import Request, Response, Router
from .listing import PREFIX


def register(router: Router) -> None:
    router.route("HEAD", f"{PREFIX}/status", service="auth", auth=False)(head_status)
    router.route("GET", f"{PREFIX}/status", service="auth", auth=False)(get_status)


def head_status(req: Request) -> Response:
    return Response(status=200, body=b"")


def get_status(req: Request) -> Response:
    return Response(json={"rest_api": {"status": "ok"}, "master_tenant": {"status": "ok"}})
