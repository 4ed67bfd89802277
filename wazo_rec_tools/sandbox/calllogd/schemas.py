"""Query-string and body validation the way call-logd's marshmallow schemas do it.

Every error of a request is collected, then one 400 `invalid-data` carries them all, keyed by
field (docs/wazo-api.md, call-logd §10). Unknown parameters are ignored (`unknown=EXCLUDE`).
"""

import re
from datetime import UTC, datetime
from typing import Any

from ..routing import ApiFault, xivo_error

CALL_DIRECTIONS = ("internal", "inbound", "outbound")
CALL_STATUSES = ("answered", "blocked", "voicemail", "unknown")
CDR_FIELDS = (
    "id",
    "tenant_uuid",
    "start",
    "end",
    "answered",
    "answer",
    "duration",
    "call_direction",
    "call_status",
    "conversation_id",
    "destination_details",
    "destination_extension",
    "destination_internal_context",
    "destination_internal_extension",
    "destination_line_id",
    "destination_name",
    "destination_user_uuid",
    "requested_name",
    "requested_context",
    "requested_extension",
    "requested_internal_context",
    "requested_internal_extension",
    "requested_user_uuid",
    "source_extension",
    "source_internal_context",
    "source_internal_name",
    "source_internal_extension",
    "source_line_id",
    "source_name",
    "source_user_uuid",
    "tags",
    "recordings",
)
# docs/wazo-api.md (call-logd §7): any CDR field except end, tags and recordings. call-logd
# validates against a set, so its error lists them in that set's order: this one was observed.
ORDERABLE_FIELDS = (
    "destination_internal_context",
    "source_internal_extension",
    "id",
    "destination_details",
    "destination_line_id",
    "source_internal_name",
    "call_status",
    "requested_internal_context",
    "requested_name",
    "answer",
    "destination_user_uuid",
    "requested_extension",
    "source_name",
    "start",
    "requested_user_uuid",
    "requested_internal_extension",
    "call_direction",
    "requested_context",
    "conversation_id",
    "source_line_id",
    "destination_extension",
    "destination_internal_extension",
    "source_internal_context",
    "destination_name",
    "source_extension",
    "duration",
    "source_user_uuid",
    "answered",
    "tenant_uuid",
)

_TRUE = {"t", "true", "on", "y", "yes", "1"}
_FALSE = {"f", "false", "off", "n", "no", "0"}
_NUMBER = re.compile(r"^_?[0-9]+_?$")
_CONVERSATION_ID = re.compile(r"^[0-9]+\.[0-9]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def invalid_data(details: dict[str, Any]) -> ApiFault:
    return xivo_error(400, "invalid-data", "Sent data is invalid", details)


def type_error(kind: str, message: str) -> dict[str, Any]:
    """A field that cannot be read at all: one dict (docs/wazo-api.md, call-logd §10)."""
    return {"message": message, "constraint_id": "type", "constraint": kind}


def validator_error(constraint_id: str, constraint: Any, message: str) -> list[dict[str, Any]]:
    """A value a validator refuses (range, enum, regex): a list of dicts, in this key order."""
    return [{"constraint_id": constraint_id, "constraint": constraint, "message": message}]


class Fields:
    """Reads typed values out of a flat mapping, collecting the errors."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, Any] = {}

    def raise_errors(self) -> None:
        if self.errors:
            raise invalid_data(self.errors)

    def datetime(self, name: str) -> datetime | None:
        value = self.values.get(name)
        if value is None:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            # xivo's DateTime field words it without the final period
            self.errors[name] = type_error("datetime", "Not a valid datetime")
        return parsed

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.values.get(name)
        if value is None:
            return default
        text = str(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.errors[name] = type_error("boolean", "Not a valid boolean.")
        return default

    def integer(self, name: str, default: int | None = None, minimum: int = 0) -> int | None:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.errors[name] = type_error("integer", "Not a valid integer.")
            return default
        if number < minimum:
            self.errors[name] = validator_error(
                "range", {"min": minimum}, f"Must be greater than or equal to {minimum}."
            )
            return default
        return number

    def one_of(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if value not in choices:
            self.errors[name] = validator_error(
                "enum", {"choices": list(choices)}, f"Must be one of: {', '.join(choices)}."
            )
            return default
        return value

    def pattern(self, name: str, regex: re.Pattern[str]) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not regex.match(value):
            self.errors[name] = validator_error(
                "regex", regex.pattern, "String does not match expected pattern."
            )
            return None
        return value

    def comma_list(self, name: str) -> list[str] | None:
        value = self.values.get(name)
        if value is None:
            return None
        return [item for item in value.split(",") if item]


def parse_datetime(value: str) -> datetime | None:
    """marshmallow 3.18 DateTime: a date and a time are required; naive means UTC (§2)."""
    value = value.strip()
    if len(value) < 16 or value[10] not in "Tt ":
        return None  # a bare date is rejected (docs/wazo-api.md, call-logd §0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def listing_filters(fields: Fields) -> dict[str, Any]:
    """The filters shared by GET /cdr and the export POST (`CDRListingBase`, docs/wazo-api.md,
    call-logd §2)."""
    return {
        "from": fields.datetime("from"),
        "until": fields.datetime("until"),
        "search": fields.values.get("search"),
        "call_direction": fields.one_of("call_direction", CALL_DIRECTIONS),
        "number": fields.pattern("number", _NUMBER),
        "tags": fields.comma_list("tags"),
        "user_uuids": fields.comma_list("user_uuid"),
        "from_id": fields.integer("from_id"),
        "recurse": fields.boolean("recurse", default=False),
    }


def cdr_list_request(params: dict[str, str]) -> dict[str, Any]:
    """`CDRListRequestSchema` (docs/wazo-api.md, call-logd §7)."""
    fields = Fields(params)
    request = listing_filters(fields)
    request.update(
        limit=fields.integer("limit", default=1000),
        offset=fields.integer("offset", default=0),
        order=fields.one_of("order", ORDERABLE_FIELDS, default="start"),
        direction=fields.one_of("direction", ("asc", "desc"), default="desc"),
        distinct=fields.one_of("distinct", ("peer_exten",)),
        recorded=fields.boolean("recorded"),
        format=fields.one_of("format", ("csv", "json")),
        conversation_id=fields.pattern("conversation_id", _CONVERSATION_ID),
        call_status=fields.one_of("call_status", CALL_STATUSES),
        requested_internal_extension=params.get("requested_internal_extension"),
        requested_internal_context=params.get("requested_internal_context"),
    )
    fields.raise_errors()
    return request


def export_request(params: dict[str, str], body: Any) -> dict[str, Any]:
    """`RecordingMediaExportRequestSchema` plus the `{"cdr_ids": [...]}` body.

    See docs/wazo-api.md (call-logd §2).
    """
    fields = Fields(params)
    request = listing_filters(fields)
    request["email"] = fields.pattern("email", _EMAIL)
    if "email" in fields.errors:
        fields.errors["email"] = type_error("email", "Not a valid email address.")
    request["cdr_ids"] = None
    if not isinstance(body, dict):
        fields.errors["_schema"] = [type_error("dict", "Invalid input type.")]
    elif body.get("cdr_ids"):
        # `[]` or null means no id filter; digit strings are coerced
        # (docs/wazo-api.md, call-logd §2)
        ids = body["cdr_ids"]
        try:
            if not isinstance(ids, list) or any(isinstance(item, bool) for item in ids):
                raise ValueError
            request["cdr_ids"] = {int(item) for item in ids}
        except (TypeError, ValueError):
            fields.errors["cdr_ids"] = type_error("integer", "Not a valid integer.")
    fields.raise_errors()
    return request
