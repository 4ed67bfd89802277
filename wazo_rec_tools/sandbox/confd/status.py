"""GET /status and GET /infos (docs/wazo-api.md, confd §0)."""

from __future__ import annotations

from ..routing import Request, Response, Router
from .schema import PREFIX

WAZO_VERSION = "26.08"


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/status", service="confd", acl="confd.status.read")(get_status)
    router.route("GET", f"{PREFIX}/infos", service="confd", acl="confd.infos.read")(get_infos)


def get_status(req: Request) -> Response:
    ok = {"status": "ok"}
    return Response(
        json={"master_tenant": ok, "service_token": ok, "bus_consumer": ok, "rest_api": ok}
    )


def get_infos(req: Request) -> Response:
    return Response(json={"uuid": req.sandbox.store.auth.xivo_uuid, "wazo_version": WAZO_VERSION})
