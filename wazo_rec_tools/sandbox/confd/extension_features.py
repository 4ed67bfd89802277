"""GET /extensions/features, GET/PUT /extensions/features/{feature_uuid}.

See docs/wazo-api.md (confd §5).

Global resources: master-tenant tokens only, no tenant filter.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..routing import Request, Response, Router, confd_error
from .listing import SearchConfig, key, list_response
from .schema import (
    LENIENT_FALSE,
    LENIENT_TRUE,
    MAY_NOT_BE_NULL,
    NOT_A_BOOLEAN,
    NOT_A_STRING,
    PREFIX,
    flask_not_found,
    input_error,
    is_uuid,
    load_body,
    not_found,
    record_event,
)

# Marshmallow `Regexp` uses `match`: anchored at the start only (docs/wazo-api.md, confd §5).
_EXTEN_PATTERNS = (re.compile(r"^_[*#0-9_XxZzNn\[\].!-]{1,39}$"), re.compile(r"[*#0-9]{1,40}"))

FEATURE_SEARCH = SearchConfig(
    name="extension_features",
    columns={"exten": key("exten"), "feature": key("feature")},
    search=("exten", "feature"),
    default_order="exten",
)


def _method_not_allowed(req: Request) -> Response:
    """confd declares POST/DELETE as 405 with an empty JSON string body."""
    return Response(status=405, json="")


def register(router: Router) -> None:
    common = {"service": "confd", "master_only": True, "tenant_visible": False}
    base = f"{PREFIX}/extensions/features"
    router.route("GET", base, acl="confd.extensions.features.read", **common)(list_features)
    router.route(
        "GET",
        f"{base}/{{feature_uuid}}",
        acl="confd.extensions.features.{feature_uuid}.read",
        **common,
    )(get_feature)
    router.route(
        "PUT",
        f"{base}/{{feature_uuid}}",
        acl="confd.extensions.features.{feature_uuid}.update",
        **common,
    )(update_feature)
    for method, pattern in (("POST", base), ("DELETE", f"{base}/{{feature_uuid}}")):
        router.route(method, pattern, service="confd", auth=False)(_method_not_allowed)


def list_features(req: Request) -> Response:
    confd = req.sandbox.store.confd
    # global resource: no tenant filter (docs/wazo-api.md, confd §6)
    return list_response(req, FEATURE_SEARCH, confd.extension_features, tenant_scoped=False)


def _feature(req: Request) -> dict[str, Any]:
    value = req.path_params["feature_uuid"]
    if not is_uuid(value):
        raise flask_not_found()
    feature = req.sandbox.store.confd.extension_features.get(value)
    if feature is None:
        raise not_found("FeatureExtension", f"'uuid': {uuid.UUID(value)!r}")
    return feature


def get_feature(req: Request) -> Response:
    with req.sandbox.store.lock:
        return Response(json=dict(_feature(req)))


def _load(body: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "exten" in body:
        exten = body["exten"]
        if exten is None:
            errors["exten"] = [MAY_NOT_BE_NULL]
        elif not isinstance(exten, str):
            errors["exten"] = [NOT_A_STRING]
        elif not any(pattern.match(exten) for pattern in _EXTEN_PATTERNS):
            errors["exten"] = ["String does not match expected pattern."]
        else:
            form["exten"] = exten
    if "enabled" in body:
        # A plain marshmallow Boolean: lenient, but not null (docs/wazo-api.md, confd §1).
        enabled = body["enabled"]
        if enabled is None:
            errors["enabled"] = [MAY_NOT_BE_NULL]
        elif _hashable(enabled) and enabled in LENIENT_TRUE:
            form["enabled"] = True
        elif _hashable(enabled) and enabled in LENIENT_FALSE:
            form["enabled"] = False
        else:
            errors["enabled"] = [NOT_A_BOOLEAN]
    if errors:
        raise input_error(errors)
    return form


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def update_feature(req: Request) -> Response:
    store = req.sandbox.store
    with store.lock:
        feature = _feature(req)
        form = _load(load_body(req))
        exten = form.get("exten")
        features = store.confd.extension_features.values()
        if exten not in (None, feature["exten"]) and any(f["exten"] == exten for f in features):
            raise confd_error(
                400, f"Resource Error - FeatureExtension already exists ('exten': '{exten}')"
            )
        changed = any(feature[name] != value for name, value in form.items())
        feature.update(form)
        if changed:
            store.confd.changed()
        record_event(req, "extension_feature_edited", feature["uuid"])
    return Response(status=204)
