"""GET/PUT /asterisk/features/{applicationmap,featuremap}: full replacement (confd.md §5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..routing import Request, Response, Router
from .schema import MAY_NOT_BE_NULL, NOT_A_STRING, PREFIX, input_error, load_body, record_event

# The options each section must keep; a PUT without them is refused.
REQUIRED_OPTIONS = {"applicationmap": ("togglerecord",), "featuremap": ("blindxfer", "atxfer")}


def register(router: Router) -> None:
    for section in REQUIRED_OPTIONS:
        path = f"{PREFIX}/asterisk/features/{section}"
        # confd.md §0: the code checks `...get`, not the Swagger's `...read`.
        common = {"service": "confd", "master_only": True, "tenant_visible": False}
        router.route("GET", path, acl=f"confd.asterisk.features.{section}.get", **common)(
            _getter(section)
        )
        router.route("PUT", path, acl=f"confd.asterisk.features.{section}.update", **common)(
            _updater(section)
        )


def _getter(section: str) -> Callable[[Request], Response]:
    def get_section(req: Request) -> Response:
        with req.sandbox.store.lock:
            options = dict(getattr(req.sandbox.store.confd, section))
        return Response(json={"options": options})

    return get_section


def _load_options(body: dict[str, Any], section: str) -> dict[str, str]:
    options = body.get("options")
    if options is None:
        raise input_error({"options": ["Missing data for required field."]})
    if not isinstance(options, dict):
        raise input_error({"options": ["Not a valid mapping type."]})
    errors: dict[str, Any] = {}
    for name, value in options.items():
        if len(name) > 128:
            errors[name] = {"key": ["Longer than maximum length 128."]}
        elif value is None:
            errors[name] = {"value": [MAY_NOT_BE_NULL]}
        elif not isinstance(value, str):
            errors[name] = {"value": [NOT_A_STRING]}
        elif len(value) > 255:
            errors[name] = {"value": ["Longer than maximum length 255."]}
    if errors:
        raise input_error({"options": errors})
    missing = [name for name in REQUIRED_OPTIONS[section] if name not in options]
    if missing:
        raise input_error({"options": [f"The following option are required: {', '.join(missing)}"]})
    return dict(options)


def _updater(section: str) -> Callable[[Request], Response]:
    def update_section(req: Request) -> Response:
        store = req.sandbox.store
        with store.lock:
            options = _load_options(load_body(req), section)
            setattr(store.confd, section, options)
            record_event(req, f"features_{section}_edited", None)
        return Response(status=204)

    return update_section
