"""The recording policy file, as pydantic models (product.md "Policy file").

Strict on purpose: unknown keys, `"true"` for a boolean or `"30"` for a number are errors,
so that a typo never silently leaves something unmanaged. `None` on a field means "not
managed": only what the policy mentions is ever touched.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema, SkipJsonSchema

from ..retention_rule import MAX_DAYS, days_problem

POLICY_VERSION = 1

# docs/wazo-api.md, confd §2: the five real recording fields of a user (never the synthesized
# call_record_enabled)
USER_FIELDS = (
    "call_record_outgoing_internal_enabled",
    "call_record_outgoing_external_enabled",
    "call_record_incoming_internal_enabled",
    "call_record_incoming_external_enabled",
    "online_call_record_enabled",
)
# the four flags *26 flips for the user (docs/wazo-api.md, confd §5)
CALL_RECORD_FIELDS = USER_FIELDS[:4]

# docs/wazo-api.md, confd §5: exten rule of feature extensions (confd matches from the start; we
# match whole)
FEATURE_EXTEN = re.compile(r"_[*#0-9_XxZzNn\[\].!-]{1,39}|[*#0-9]{1,40}")
# DTMF digits Asterisk accepts in a features.conf applicationmap entry
DTMF = re.compile(r"[0-9*#A-D]{1,10}")

_CALL_RECORD_ENABLED = (
    "call_record_enabled is not accepted: confd synthesizes it from the four "
    "call_record_*_enabled flags and rejects it next to them; set those four instead"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        # `key:` with no value is almost always a slip; "not managed" is spelled by leaving it out
        if value is None and info.field_name != "call_record_enabled":
            raise ValueError("a value is required here (leave the key out to leave it unmanaged)")
        return value


def glob_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable fnmatch pattern, or None when it is."""
    if not pattern.strip():
        return "a pattern must not be empty"
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            close = pattern.find("]", j)
            if close < 0:
                return f"bad pattern {pattern!r}: '[' at position {i + 1} is not closed by ']'"
            i = close
        i += 1
    return None


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _valid_glob(pattern: str) -> str:
    problem = glob_problem(pattern)
    if problem:
        raise ValueError(problem)
    return pattern


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


Pattern = Annotated[StrictStr, AfterValidator(_valid_glob)]
Label = Annotated[StrictStr, AfterValidator(_not_blank)]


class UserSettings(_Strict):
    """The recording fields of a user; a field left out is not managed."""

    call_record_outgoing_internal_enabled: StrictBool | None = None
    call_record_outgoing_external_enabled: StrictBool | None = None
    call_record_incoming_internal_enabled: StrictBool | None = None
    call_record_incoming_external_enabled: StrictBool | None = None
    online_call_record_enabled: StrictBool | None = None
    # a trap, not a field: a clear message instead of "unknown key"
    call_record_enabled: SkipJsonSchema[Any] = Field(None, exclude=True)

    @field_validator("call_record_enabled", mode="before")
    @classmethod
    def _no_call_record_enabled(cls, value: Any) -> Any:
        raise ValueError(_CALL_RECORD_ENABLED)

    def managed(self) -> dict[str, bool]:
        """The fields this mapping sets, in confd's order."""
        return {f: getattr(self, f) for f in USER_FIELDS if getattr(self, f) is not None}


class Match(_Strict):
    """Which users a rule applies to. Both keys given: users matching a pattern AND in a group."""

    users: list[Pattern] | None = Field(None, description="usernames, e-mails or uuids; globs")
    groups: list[Label] | None = Field(None, description="group labels")

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not self.users and not self.groups:
            raise ValueError("match needs a non-empty `users` or `groups` list")
        return self


class UserRule(_Strict):
    match: Match
    set: UserSettings

    @field_validator("set")
    @classmethod
    def _sets_something(cls, value: UserSettings) -> UserSettings:
        if not value.managed():
            raise ValueError("set at least one recording field")
        return value


class UsersPolicy(_Strict):
    defaults: UserSettings | None = None
    rules: list[UserRule] = Field(default_factory=list)


class ToggleSettings(_Strict):
    """A group's or queue's `dtmf_record_toggle` (docs/wazo-api.md, confd §3, §4)."""

    dtmf_record_toggle: StrictBool | None = None


class GroupsPolicy(_Strict):
    defaults: ToggleSettings | None = None
    items: dict[Label, ToggleSettings] = Field(
        default_factory=dict, description="by label (or uuid when labels repeat)"
    )


class QueuesPolicy(_Strict):
    defaults: ToggleSettings | None = None
    items: dict[Label, ToggleSettings] = Field(default_factory=dict, description="by name or label")


def _days(value: int) -> int:
    problem = days_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Days = Annotated[
    StrictInt,
    AfterValidator(_days),
    Field(json_schema_extra={"minimum": 0, "maximum": MAX_DAYS}),
]


class RetentionPolicy(_Strict):
    """call-logd retention of one tenant (docs/wazo-api.md, call-logd §9); keys left out keep their
    value."""

    cdr_days: Days | None = None
    recording_days: Days | None = None
    export_days: Days | None = None

    @field_validator("recording_days")
    @classmethod
    def _recordings_within_cdrs(cls, value: int | None, info: ValidationInfo) -> int | None:
        cdr_days = info.data.get("cdr_days")
        if value is not None and cdr_days is not None and value > cdr_days:
            # docs/wazo-api.md, call-logd §9: refused by the server too (its message reads the other
            # way round)
            raise ValueError(f"recording_days ({value}) must not exceed cdr_days ({cdr_days})")
        return value

    def managed(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("cdr_days", "recording_days", "export_days")
            if getattr(self, k) is not None
        }


class TenantPolicy(_Strict):
    tenant: StrictStr = Field(description="tenant uuid, slug or name")
    users: UsersPolicy | None = None
    groups: GroupsPolicy | None = None
    queues: QueuesPolicy | None = None
    retention: RetentionPolicy | None = None


class CallRecordFeature(_Strict):
    """The `*26` feature extension (docs/wazo-api.md, confd §5)."""

    enabled: StrictBool
    exten: StrictStr | None = None

    @field_validator("exten")
    @classmethod
    def _exten(cls, value: str | None) -> str | None:
        if value is not None and not FEATURE_EXTEN.fullmatch(value):
            raise ValueError(f"not a feature extension: {value!r} (e.g. *26)")
        return value


class ToggleRecordFeature(_Strict):
    """The on-demand recording key, first token of applicationmap `togglerecord` (docs/wazo-api.md,
    confd §5)."""

    exten: StrictStr

    @field_validator("exten")
    @classmethod
    def _dtmf(cls, value: str) -> str:
        if not DTMF.fullmatch(value):
            raise ValueError(f"not a DTMF sequence: {value!r} (digits, *, #, A-D; e.g. *3)")
        return value


class Features(_Strict):
    callrecord: CallRecordFeature | None = None
    togglerecord: ToggleRecordFeature | None = None


class Safety(_Strict):
    max_change_percent: Annotated[
        float, Field(strict=False, json_schema_extra={"minimum": 0, "maximum": 100})
    ] = 30

    @field_validator("max_change_percent", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise ValueError(f"expected a percentage from 0 to 100, got {value!r}")
        return value


class Policy(_Strict):
    """A whole policy file."""

    version: StrictInt = Field(description="always 1")
    features: Features | None = None
    tenants: list[TenantPolicy] = Field(default_factory=list)
    safety: Safety = Field(default_factory=Safety)

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != POLICY_VERSION:
            raise ValueError(
                f"unsupported policy version {value}: this wazo-rec reads version {POLICY_VERSION}"
            )
        return value


class _SchemaWithoutNull(GenerateJsonSchema):
    """Optional keys are "leave it out", never `null` (see `_Strict._not_null`)."""

    def nullable_schema(self, schema: Any) -> Any:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: Any) -> Any:
        generated = super().default_schema(schema)
        if "default" in generated and generated["default"] is None:
            del generated["default"]
        return generated


def json_schema() -> dict[str, Any]:
    """The policy's JSON Schema, for editors."""
    schema = Policy.model_json_schema(schema_generator=_SchemaWithoutNull)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wazo-rec-tools recording policy"
    return schema
