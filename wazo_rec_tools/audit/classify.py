"""One CDR against the requirement: was this call to be recorded, and was it? (pure)

The CDR fields read (call-logd.md §7, the conformance corpus's CDR items):
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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

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


def classify(cdr: Mapping[str, Any], requirement: Requirement, zone: tzinfo) -> Verdict:
    """The category of one CDR (the contract's rules, in docs/audit.md)."""
    users = requirement.users
    source_user = users.get(cdr.get("source_user_uuid") or "")
    destination_user = users.get(cdr.get("destination_user_uuid") or "")
    direction = cdr.get("call_direction")
    recordings = cdr.get("recordings") or ()
    kept = sum(1 for r in recordings if not r.get("deleted"))
    start = parse_instant(cdr.get("start"))

    def verdict(
        category: str | None,
        out_of_scope: str | None,
        *,
        required: bool = False,
        via: Toggle | None = None,
        reasons: tuple[Reason, ...] = (),
        parties: tuple[UserFlags | None, ...] = (),
    ) -> Verdict:
        return Verdict(
            cdr_id=int(cdr["id"]),
            tenant_uuid=cdr.get("tenant_uuid"),
            start=start.astimezone(zone) if start else None,
            direction=direction,
            source=_party(cdr, "source", source_user),
            destination=_party(cdr, "destination", destination_user),
            category=category,
            out_of_scope=out_of_scope,
            required=required,
            recordings=len(recordings),
            kept=kept,
            via=via.display if via else None,
            reasons=reasons,
            users=tuple(p.uuid for p in parties if p is not None),
        )

    if not cdr.get("answered"):
        return verdict(None, UNANSWERED)
    if direction not in DIRECTIONS:
        return verdict(None, OTHER_DIRECTION)

    # the record flags the direction reads: (user, field)
    if direction == "outbound":
        source, destination = source_user, None
        rules = [(source, OUTGOING_EXTERNAL)]
    elif direction == "inbound":
        source, destination = None, destination_user
        rules = [(destination, INCOMING_EXTERNAL)]
    else:
        source, destination = source_user, destination_user
        rules = [(source, OUTGOING_INTERNAL), (destination, INCOMING_INTERNAL)]
    deciding = [(user, name) for user, name in rules if user is not None]
    if not deciding:
        return verdict(None, NOT_USERS)
    parties = (source, destination)

    record_flags = [_reason(user.display, name, user.flags[name]) for user, name in deciding]
    required = any(reason.value for reason in record_flags)
    via = _via(cdr, requirement) if destination is not None else None

    if required:
        reasons = tuple(r for r in record_flags if r.value)
        category = OK if kept else DELETED if recordings else MISSING
        return verdict(category, None, required=True, via=via, reasons=reasons, parties=parties)
    if not recordings:
        return verdict(OK, None, via=via, reasons=tuple(record_flags), parties=parties)
    permissions = _on_demand(source, destination, via)
    allowed = tuple(r for r in permissions if r.value)
    if allowed:
        return verdict(ON_DEMAND, None, via=via, reasons=allowed, parties=parties)
    reasons = (*record_flags, *permissions)
    return verdict(UNEXPECTED, None, via=via, reasons=reasons, parties=parties)


def _on_demand(
    source: UserFlags | None, destination: UserFlags | None, via: Toggle | None
) -> list[Reason]:
    """Who could start a recording with *3 (calld's rule, confd.md §5): the caller by their
    `online_call_record_enabled`; the callee by the queue's or group's `dtmf_record_toggle`
    when the call came through one, else by their own `online_call_record_enabled`."""
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


def _reason(subject: str, name: str, flag: Flag) -> Reason:
    return Reason(subject, name, flag.value, flag.origin)


def _party(cdr: Mapping[str, Any], side: str, user: UserFlags | None) -> Party:
    return Party(
        name=cdr.get(f"{side}_name") or None,
        extension=cdr.get(f"{side}_extension") or None,
        user_uuid=user.uuid if user is not None else None,
        user=user.display if user is not None else None,
    )
