"""One CDR against the requirement: was this call to be recorded, and was it? (pure)

The CDR fields read (docs/wazo-api.md, call-logd §7; the conformance corpus's CDR items):
- `answered`: false → out of scope (Wazo keeps no recording of a call nobody answered);
- `call_direction`: `outbound`, `inbound` or `internal`;
- `source_user_uuid`, `destination_user_uuid`: the parties that are users (the destination
  is the user who answered, also through a group or a queue);
- `recordings[]`: `deleted: true` when the file is gone (call-logd sets `path` to NULL);
- how the call reached the answering user: `destination_details` `{type: group, group_id}`
  for a group; for a queue (call-logd has no queue type), the dialled extension
  (`requested_internal_extension`/`_context` after an incall, else `requested_extension`/
  `_context`) is one of the queue's extensions in confd. docs/audit.md says more.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, NamedTuple

from ..admin.recordings import parse_instant
from .requirement import Flag, Requirement, Toggle, UserFlags

OK, MISSING, DELETED, ON_DEMAND, UNEXPECTED = "ok", "missing", "deleted", "on-demand", "unexpected"
CATEGORIES = (OK, MISSING, DELETED, ON_DEMAND, UNEXPECTED)
FINDINGS = (MISSING, UNEXPECTED)  # what --detailed-exitcode reports

UNANSWERED, NOT_USERS, OTHER_DIRECTION = "unanswered", "not-users", "other-direction"
OUT_OF_SCOPE = (UNANSWERED, NOT_USERS, OTHER_DIRECTION)

DIRECTIONS = ("outbound", "inbound", "internal")

OUTGOING_EXTERNAL = "call_record_outgoing_external_enabled"
INCOMING_EXTERNAL = "call_record_incoming_external_enabled"
OUTGOING_INTERNAL = "call_record_outgoing_internal_enabled"
INCOMING_INTERNAL = "call_record_incoming_internal_enabled"
ONLINE = "online_call_record_enabled"
DTMF_TOGGLE = "dtmf_record_toggle"


@dataclass(frozen=True, slots=True)
class Reason:
    """A flag that decided: `alice call_record_outgoing_external_enabled=true (policy: rule 2)`."""

    subject: str  # the user's name, or "group Sales" / "queue support"
    field: str
    value: bool
    origin: str

    @property
    def text(self) -> str:
        return f"{self.subject} {self.field}={'true' if self.value else 'false'} ({self.origin})"

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "field": self.field,
            "value": self.value,
            "origin": self.origin,
        }


@dataclass(frozen=True, slots=True)
class Party:
    name: str | None
    extension: str | None
    user_uuid: str | None  # None: not a user the audit knows
    user: str | None = None  # the user's username, e-mail or name

    @property
    def text(self) -> str:
        if self.name and self.extension and self.name != self.extension:
            return f"{self.name} ({self.extension})"
        return self.name or self.extension or self.user or "?"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "extension": self.extension,
            "user_uuid": self.user_uuid,
            "user": self.user,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    cdr_id: int
    tenant_uuid: str | None
    start: datetime | None  # in the report's zone
    direction: str | None
    source: Party
    destination: Party
    category: str | None  # one of CATEGORIES; None when out of scope
    out_of_scope: str | None  # one of OUT_OF_SCOPE, or None
    required: bool
    recordings: int  # recordings listed on the CDR, deleted ones included
    kept: int  # recordings whose file is still there
    via: str | None  # "group Sales", "queue support": how the call reached the destination
    reasons: tuple[Reason, ...]  # the flags that required it, or that did not allow it
    users: tuple[str, ...]  # uuids of the parties that are users, source first

    @property
    def recorded(self) -> bool:
        return self.recordings > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "cdr_id": self.cdr_id,
            "tenant_uuid": self.tenant_uuid,
            "start": self.start.isoformat() if self.start else None,
            "direction": self.direction,
            "source": self.source.as_json(),
            "destination": self.destination.as_json(),
            "category": self.category,
            "out_of_scope": self.out_of_scope,
            "required": self.required,
            "recordings": self.recordings,
            "kept": self.kept,
            "via": self.via,
            "reasons": [reason.as_json() for reason in self.reasons],
        }


class Decision(NamedTuple):
    """A call's category without the details of a `Verdict`: what counting needs, cheaply."""

    category: str | None  # one of CATEGORIES; None when out of scope
    out_of_scope: str | None
    required: bool
    recorded: bool
    source: UserFlags | None  # the parties the direction's rules read, when users
    destination: UserFlags | None


def decide(cdr: Mapping[str, Any], requirement: Requirement) -> Decision:
    """The category of one CDR (the contract's rules, in docs/audit.md)."""
    recordings = cdr.get("recordings") or ()
    if not cdr.get("answered"):
        return Decision(None, UNANSWERED, False, bool(recordings), None, None)
    direction = cdr.get("call_direction")
    if direction not in DIRECTIONS:
        return Decision(None, OTHER_DIRECTION, False, bool(recordings), None, None)
    source, destination, rules = _rules(cdr, requirement, direction)
    if not rules:
        return Decision(None, NOT_USERS, False, bool(recordings), None, None)
    required = any(user.flags[name].value for user, name in rules)
    if required:
        kept = any(not r.get("deleted") for r in recordings)
        category = OK if kept else DELETED if recordings else MISSING
    elif not recordings:
        category = OK
    else:
        via = _via(cdr, requirement) if destination is not None else None
        allowed = any(r.value for r in _on_demand(source, destination, via))
        category = ON_DEMAND if allowed else UNEXPECTED
    return Decision(category, None, required, bool(recordings), source, destination)


def classify(
    cdr: Mapping[str, Any],
    requirement: Requirement,
    zone: tzinfo,
    decision: Decision | None = None,
) -> Verdict:
    """One CDR's verdict: its category with the parties, the route and the deciding flags.

    `decision`: `decide(cdr, requirement)` when the caller has it already."""
    decision = decision or decide(cdr, requirement)
    users = requirement.users
    recordings = cdr.get("recordings") or ()
    start = parse_instant(cdr.get("start"))
    source, destination = decision.source, decision.destination
    via = reasons = None
    if decision.category is not None:
        _, _, rules = _rules(cdr, requirement, cdr.get("call_direction"))
        record_flags = [_reason(user.display, name, user.flags[name]) for user, name in rules]
        via = _via(cdr, requirement) if destination is not None else None
        if decision.required:
            reasons = [r for r in record_flags if r.value]
        elif decision.category == OK:
            reasons = record_flags
        else:
            permissions = _on_demand(source, destination, via)
            allowed = [r for r in permissions if r.value]
            reasons = allowed if decision.category == ON_DEMAND else record_flags + permissions
    return Verdict(
        cdr_id=int(cdr["id"]),
        tenant_uuid=cdr.get("tenant_uuid"),
        start=start.astimezone(zone) if start else None,
        direction=cdr.get("call_direction"),
        source=_party(cdr, "source", users.get(cdr.get("source_user_uuid") or "")),
        destination=_party(cdr, "destination", users.get(cdr.get("destination_user_uuid") or "")),
        category=decision.category,
        out_of_scope=decision.out_of_scope,
        required=decision.required,
        recordings=len(recordings),
        kept=sum(1 for r in recordings if not r.get("deleted")),
        via=via.display if via else None,
        reasons=tuple(reasons or ()),
        users=tuple(p.uuid for p in (source, destination) if p is not None),
    )


def _rules(
    cdr: Mapping[str, Any], requirement: Requirement, direction: str | None
) -> tuple[UserFlags | None, UserFlags | None, list[tuple[UserFlags, str]]]:
    """The parties the direction reads, and the (user, record flag) pairs that decide."""
    users = requirement.users
    if direction == "outbound":
        source = users.get(cdr.get("source_user_uuid") or "")
        return source, None, [(source, OUTGOING_EXTERNAL)] if source else []
    if direction == "inbound":
        destination = users.get(cdr.get("destination_user_uuid") or "")
        return None, destination, [(destination, INCOMING_EXTERNAL)] if destination else []
    source = users.get(cdr.get("source_user_uuid") or "")
    destination = users.get(cdr.get("destination_user_uuid") or "")
    rules = []
    if source is not None:
        rules.append((source, OUTGOING_INTERNAL))
    if destination is not None:
        rules.append((destination, INCOMING_INTERNAL))
    return source, destination, rules


def _on_demand(
    source: UserFlags | None, destination: UserFlags | None, via: Toggle | None
) -> list[Reason]:
    """Who could start a recording with *3 (calld's rule: docs/wazo-api.md, confd §5): the
    caller by their `online_call_record_enabled`; the callee by the queue's or group's
    `dtmf_record_toggle` when the call came through one, else by their own
    `online_call_record_enabled`."""
    permissions = []
    if source is not None:
        permissions.append(_reason(source.display, ONLINE, source.flags[ONLINE]))
    if destination is not None:
        if via is not None:
            permissions.append(_reason(via.display, DTMF_TOGGLE, via.dtmf_record_toggle))
        else:
            permissions.append(_reason(destination.display, ONLINE, destination.flags[ONLINE]))
    return permissions


def _via(cdr: Mapping[str, Any], requirement: Requirement) -> Toggle | None:
    """The queue or group the call went through, if any (queue first, as calld decides)."""
    tenant = cdr.get("tenant_uuid") or ""
    dialled = (
        (cdr.get("requested_internal_extension"), cdr.get("requested_internal_context")),
        (cdr.get("requested_extension"), cdr.get("requested_context")),
    )
    found = [
        requirement.extensions.get((tenant, exten, context))
        for exten, context in dialled
        if exten and context
    ]
    for toggle in found:
        if toggle is not None and toggle.kind == "queue":
            return toggle
    details = cdr.get("destination_details") or {}
    if details.get("type") == "group":
        try:
            group = requirement.groups.get(int(details.get("group_id")))
        except (TypeError, ValueError):
            group = None
        if group is not None:
            return group
        # a group since deleted: calld decided by its toggle, which is unknown now
        label = details.get("group_label") or str(details.get("group_id"))
        return Toggle("group", -1, tenant, label, Flag(False, "no longer on the stack"))
    return next((toggle for toggle in found if toggle is not None), None)


@functools.lru_cache(maxsize=1 << 16)
def _reason(subject: str, name: str, flag: Flag) -> Reason:
    # one value per flag met: thousands of findings share a few hundred reasons
    return Reason(subject, name, flag.value, flag.origin)


def _party(cdr: Mapping[str, Any], side: str, user: UserFlags | None) -> Party:
    return _party_of(
        cdr.get(f"{side}_name") or None,
        cdr.get(f"{side}_extension") or None,
        user.uuid if user is not None else None,
        user.display if user is not None else None,
    )


@functools.lru_cache(maxsize=1 << 16)
def _party_of(
    name: str | None, extension: str | None, user_uuid: str | None, user: str | None
) -> Party:
    return Party(name, extension, user_uuid, user)
