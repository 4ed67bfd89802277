"""GET /status (docs/wazo-api.md, calld §0)."""

from ..routing import Request, Response, Router
from .calls import PREFIX


def get_status(req: Request) -> Response:
    ok = {"status": "ok"}
    return Response(
        json={
            "ari": dict(ok),
            "bus_consumer": dict(ok),
            "service_token": dict(ok),
            "plugins": {"calls": dict(ok)},
        }
    )


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/status", service="calld", acl="calld.status.read")(get_status)
