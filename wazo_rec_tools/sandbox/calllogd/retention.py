"""GET/PUT /retention, per tenant and non-recursive (docs/wazo-api.md, call-logd §9)."""

from typing import Any

from ..routing import Request, Response, Router
from .cdr import PREFIX
from .schemas import invalid_data, validator_error
from .state import RETENTION_KEYS, CallLogdState
from .tenancy import requested_tenant


def retention_view(state: CallLogdState, tenant_uuid: str) -> dict[str, Any]:
    days = state.tenant_retention(tenant_uuid)
    view: dict[str, Any] = {"tenant_uuid": tenant_uuid}
    view.update({key: days.get(key) for key in RETENTION_KEYS})
    view.update({f"default_{key}": state.default_retention[key] for key in RETENTION_KEYS})
    return view


def _load_retention(body: Any) -> dict[str, int | None]:
    """`RetentionSchema`: ints >= 0 or null; omitted keys become null; read-only keys ignored."""
    if not isinstance(body, dict):
        raise invalid_data(
            {
                "_schema": [
                    {
                        "message": "Invalid input type.",
                        "constraint_id": "type",
                        "constraint": "dict",
                    }
                ]
            }
        )
    errors: dict[str, Any] = {}
    days: dict[str, int | None] = {}
    for key in RETENTION_KEYS:
        value = body.get(key)
        if value is None:
            days[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | str):
            errors[key] = {
                "message": "Not a valid integer.",
                "constraint_id": "type",
                "constraint": "integer",
            }
            continue
        try:
            number = int(value)
        except ValueError:
            errors[key] = {
                "message": "Not a valid integer.",
                "constraint_id": "type",
                "constraint": "integer",
            }
            continue
        if number < 0:
            errors[key] = validator_error(
                "range", {"min": 0}, "Must be greater than or equal to 0."
            )
            continue
        days[key] = number
    if errors:
        raise invalid_data(errors)
    cdr_days, recording_days = days["cdr_days"], days["recording_days"]
    if cdr_days is not None and recording_days is not None and recording_days > cdr_days:
        # docs/wazo-api.md (call-logd §9): the message is worded the wrong way round; the comparison
        # is this one
        # a schema validator's error: a list of plain strings
        raise invalid_data(
            {"recording_days": ['"recording_days" must be higher or equal than "cdr_days"']}
        )
    return days


def get_retention(req: Request) -> Response:
    tenant = requested_tenant(req)
    with req.sandbox.store.lock:
        return Response(json=retention_view(req.sandbox.store.calllogd, tenant))


def put_retention(req: Request) -> Response:
    days = _load_retention(req.json())
    tenant = requested_tenant(req)
    with req.sandbox.store.lock:
        # docs/wazo-api.md (call-logd §9): PUT resets omitted keys to null
        req.sandbox.store.calllogd.retention[tenant] = days
    return Response(status=204)


def register(router: Router) -> None:
    router.route("GET", f"{PREFIX}/retention", service="call-logd", acl="call-logd.retention.read")(
        get_retention
    )
    router.route(
        "PUT", f"{PREFIX}/retention", service="call-logd", acl="call-logd.retention.update"
    )(put_retention)
