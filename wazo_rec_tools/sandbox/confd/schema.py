"""confd body parsing and validation, with confd's error strings.

See docs/wazo-api.md (confd §1, §7).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from ..routing import ApiFault, Request, confd_error, html_not_found

PREFIX = "/api/confd/1.1"
NOT_A_BOOLEAN = "Not a valid boolean."
MAY_NOT_BE_NULL = "Field may not be null."
MISSING_DATA = "Missing data for required field."
NOT_A_STRING = "Not a valid string."
NOT_AN_INTEGER = "Not a valid integer."
# marshmallow `fields.Boolean` truthy/falsy values: the lenient boolean of
# docs/wazo-api.md (confd §5).
LENIENT_TRUE = frozenset(
    {True, "1", "t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES"}
)  # True == 1: the integer 1 is in the set too
LENIENT_FALSE = frozenset(
    {
        False,
        "0",
        "f",
        "F",
        "false",
        "False",
        "FALSE",
        "off",
        "Off",
        "OFF",
        "n",
        "N",
        "no",
        "No",
        "NO",
    }
)


def input_error(errors: dict[str, Any]) -> ApiFault:
    """One `Input Error - <field>: [<messages>]` string per field, repr'd as marshmallow's."""
    return confd_error(
        400, *(f"Input Error - {field}: {messages!r}" for field, messages in errors.items())
    )


def not_found(model: str, criteria: str) -> ApiFault:
    """`Resource Not Found - <Model> was not found (<criteria>)` (docs/wazo-api.md, confd §2-§5)."""
    return confd_error(404, f"Resource Not Found - {model} was not found ({criteria})")


def flask_not_found() -> ApiFault:
    """A path value the route converter refuses (e.g. a uuid for a queue): Flask's HTML 404."""
    return html_not_found()


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def load_body(req: Request) -> dict[str, Any]:
    """The JSON body as a dict: invalid JSON or an array -> 400 (docs/wazo-api.md, confd §1)."""
    body = req.json()
    if not isinstance(body, dict):
        raise input_error({"_schema": ["Invalid input type."]})
    return body


def check_fields(
    body: dict[str, Any],
    *,
    strict_booleans: Iterable[str] = (),
    strings: Iterable[str] = (),
    required_strings: Iterable[str] = (),
    integers: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Partial load: the known keys present in `body`, and the errors per field.

    Unknown keys are dropped (`unknown = EXCLUDE`). StrictBoolean takes only JSON true/false;
    `null` is refused everywhere except on nullable strings and integers.
    """
    form: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in strict_booleans:
        if name in body:
            value = body[name]
            if value is None:
                errors[name] = [MAY_NOT_BE_NULL]
            elif not isinstance(value, bool):
                errors[name] = [NOT_A_BOOLEAN]
            else:
                form[name] = value
    for name in required_strings:
        if name in body:
            value = body[name]
            if value is None:
                errors[name] = [MAY_NOT_BE_NULL]
            elif not isinstance(value, str):
                errors[name] = [NOT_A_STRING]
            else:
                form[name] = value
    for name in strings:
        if name in body:
            value = body[name]
            if value is not None and not isinstance(value, str):
                errors[name] = [NOT_A_STRING]
            else:
                form[name] = value
    for name in integers:
        if name in body:
            value = body[name]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                errors[name] = [NOT_AN_INTEGER]
            else:
                form[name] = value
    return form, errors


def record_event(req: Request, name: str, resource_id: Any) -> None:
    """What confd's notifier does after every successful PUT, even a no-op.

    See docs/wazo-api.md (confd §1).
    """
    req.sandbox.store.confd.events.append((name, resource_id))
