"""GET /status (docs/wazo-api.md, call-logd §9)."""

from ..routing import Request, Response, Router
from .cdr import PREFIX


def get_status(req: Request) -> Response:
    return Response(
        json={
            "bus_consumer": {"status": "ok"},
            "task_queue": {"status": "ok"},
            "service_token": {"status": "ok"},
        }
    )


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/status", service="call-logd", acl="call-logd.status.read")(
        get_status
    )
