"""HEAD /status: no authentication, and no GET (docs/wazo-api.md, auth §0)."""

from __future__ import annotations

from ..routing import Request, Response, Router
from .listing import PREFIX


def register(router: Router) -> None:
    # wazo-auth routes HEAD only: a GET is flask-restful's JSON 405
    router.route("HEAD", f"{PREFIX}/status", service="auth", auth=False)(head_status)


def head_status(req: Request) -> Response:
    return Response(status=200, body=b"")
