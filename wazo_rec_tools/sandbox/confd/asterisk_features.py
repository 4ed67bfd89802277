"""GET/PUT /asterisk/features/{applicationmap,featuremap}: full replacement.

See docs/wazo-api.md (confd §5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..routing import Request, Response, Router
from .schema import (
    MAY_NOT_BE_NULL,
    MISSING_DATA,
    NOT_A_STRING,
    PREFIX,
    input_error,
    load_body,
    record_event,
)

# The options each section must keep; a PUT without them is refused.
REQUIRED_OPTIONS = {"applicationmap": ("togglerecord",), "featuremap": ("blindxfer", "atxfer")}


def register(router: Router) -> None:
    for section in REQUIRED_OPTIONS:
        path = f"{PREFIX}/asterisk/features/{section}"
        # docs/wazo-api.md (confd §0): the code checks `...get`, not the Swagger's `...read`.
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


INVALID_INPUT_TYPE = "Invalid input type."
_OPTION_FIELDS = (("key", 128), ("value", 255))


def _option_errors(option: Any) -> dict[str, list[str]]:
    """One `{key, value}` item of the options collection, as the nested schema checks it."""
    if not isinstance(option, dict):
        return {"_schema": [INVALID_INPUT_TYPE]}
    errors: dict[str, list[str]] = {}
    for name, longest in _OPTION_FIELDS:
        if name not in option:
            errors[name] = [MISSING_DATA]
        elif option[name] is None:
            errors[name] = [MAY_NOT_BE_NULL]
        elif not isinstance(option[name], str):
            errors[name] = [NOT_A_STRING]
        elif len(option[name]) > longest:
            errors[name] = [f"Longer than maximum length {longest}."]
    return errors


def _load_options(body: dict[str, Any], section: str) -> dict[str, str]:
    """`options` is a collection of `{key, value}`; a mapping is turned into one first.

    Errors are keyed by the item's position, whichever form was sent (docs/wazo-api.md,
    confd §5).
    """
    if "options" not in body:
        raise input_error({"options": [MISSING_DATA]})
    options = body["options"]
    if options is None:
        raise input_error({"options": [MAY_NOT_BE_NULL]})
    if isinstance(options, dict):
        options = [{"key": key, "value": value} for key, value in options.items()]
    if not isinstance(options, list):
        raise input_error({"options": {"_schema": [INVALID_INPUT_TYPE]}})
    errors = {index: e for index, option in enumerate(options) if (e := _option_errors(option))}
    if errors:
        raise input_error({"options": errors})
    loaded = {option["key"]: option["value"] for option in options}
    missing = [name for name in REQUIRED_OPTIONS[section] if name not in loaded]
    if missing:
        raise input_error({"options": [f"The following option are required: {', '.join(missing)}"]})
    return loaded


def _updater(section: str) -> Callable[[Request], Response]:
    def update_section(req: Request) -> Response:
        store = req.sandbox.store
        with store.lock:
            options = _load_options(load_body(req), section)
            setattr(store.confd, section, options)
            record_event(req, f"features_{section}_edited", None)
        return Response(status=204)

    return update_section
