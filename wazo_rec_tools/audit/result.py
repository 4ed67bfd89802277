"""The audit of a window as one value: counts per user and direction, per day, the exceptions.

Pure: `audit()` folds a stream of CDRs into an `AuditResult` without keeping the CDRs (only
the `missing` and `unexpected` calls are kept, to be listed), so 100,000 calls take little
memory. The result renders as text, JSON, CSV or HTML (`render.py`, `html.py`), and is what
a notification carries (`as_json()`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from ..admin.recordings import parse_instant
from ..policy.model import USER_FIELDS
from .classify import (
    CATEGORIES,
    DELETED,
    FINDINGS,
    INCOMING_EXTERNAL,
    INCOMING_INTERNAL,
    MISSING,
    OK,
    ON_DEMAND,
    OUT_OF_SCOPE,
    OUTGOING_EXTERNAL,
    OUTGOING_INTERNAL,
    UNEXPECTED,
    Verdict,
    classify,
    decide,
)
from .requirement import Flag, Requirement

# which of a party's flags the direction reads, by (direction, role)
_FIELD_OF = {
    ("outbound", "source"): OUTGOING_EXTERNAL,
    ("inbound", "destination"): INCOMING_EXTERNAL,
    ("internal", "source"): OUTGOING_INTERNAL,
    ("internal", "destination"): INCOMING_INTERNAL,
}


@dataclass(frozen=True)
class SummaryRow:
    """One user's calls in one direction (an internal call counts for both its users)."""

    tenant_uuid: str
    user_uuid: str
    user: str
    direction: str
    calls: int
    required: int
    recorded: int  # calls with a recording, deleted since or not
    ok: int
    missing: int
    deleted: int
    on_demand: int
    unexpected: int
    requirement: str  # where the deciding flag came from: "policy", "stack" or "policy+stack"

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant_uuid": self.tenant_uuid,
            "user_uuid": self.user_uuid,
            "user": self.user,
            "direction": self.direction,
            "calls": self.calls,
            "required": self.required,
            "recorded": self.recorded,
            "ok": self.ok,
            "missing": self.missing,
            "deleted": self.deleted,
            "on_demand": self.on_demand,
            "unexpected": self.unexpected,
            "requirement": self.requirement,
        }


@dataclass(frozen=True)
class DayRow:
    day: date  # in the report's zone
    calls: int  # in scope
    required: int
    recorded: int  # required calls that were recorded (kept or deleted since)
    missing: int
    unexpected: int

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "calls": self.calls,
            "required": self.required,
            "recorded": self.recorded,
            "missing": self.missing,
            "unexpected": self.unexpected,
        }


@dataclass(frozen=True)
class AuditResult:
    start: datetime
    end: datetime
    zone: str
    tenants: tuple[tuple[str, str], ...]  # (uuid, slug or name) of the tenants audited
    user: str | None  # the user the audit was limited to (display), if any
    policy: str | None  # the policy file the requirement came from; None: the stack alone
    categories: Mapping[str, int]  # in-scope calls per category (every category present)
    out_of_scope: Mapping[str, int]  # per reason (every reason present)
    rows: tuple[SummaryRow, ...]
    days: tuple[DayRow, ...]
    exceptions: tuple[Verdict, ...]  # every missing and unexpected call, in start order
    users_from_stack: Mapping[str, int] = field(default_factory=dict)  # field -> users
    warnings: tuple[str, ...] = ()  # the policy's, as `plan` shows them

    @property
    def in_scope(self) -> int:
        return sum(self.categories.values())

    @property
    def required(self) -> int:
        return sum(day.required for day in self.days)

    @property
    def findings(self) -> int:
        return sum(self.categories[c] for c in FINDINGS)

    @property
    def clean(self) -> bool:
        return self.findings == 0

    def exit_code(self, detailed: bool) -> int:
        """0, or 2 with --detailed-exitcode when anything is missing or unexpected."""
        return 2 if detailed and not self.clean else 0

    def as_json(self, *, lists: bool = True) -> dict[str, Any]:
        """The stable JSON of `--output json`, and the data of an `audit.failed` event.

        `lists=False` leaves out `summary`, `days` and `exceptions` (streamed by
        `render.json_chunks`, or too long for a notification)."""
        data = {
            "window": {"from": self.start.isoformat(), "until": self.end.isoformat()},
            "zone": self.zone,
            "tenants": [{"uuid": uuid, "name": name} for uuid, name in self.tenants],
            "user": self.user,
            "policy": self.policy,
            "calls": {
                "in_scope": self.in_scope,
                "required": self.required,
                **{c.replace("-", "_"): self.categories[c] for c in CATEGORIES},
            },
            "out_of_scope": {k.replace("-", "_"): v for k, v in self.out_of_scope.items()},
            "findings": self.findings,
            "requirement_from_stack": dict(self.users_from_stack),
            "warnings": list(self.warnings),
        }
        if lists:
            data["summary"] = [row.as_json() for row in self.rows]
            data["days"] = [day.as_json() for day in self.days]
            data["exceptions"] = [verdict.as_json() for verdict in self.exceptions]
        return data


class _Tally:
    __slots__ = ("counts", "flags")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(("calls", "required", "recorded", *CATEGORIES), 0)
        self.flags: set[Flag] = set()  # the deciding flags met, for where they came from


def audit(
    cdrs: Iterable[Mapping[str, Any]],
    requirement: Requirement,
    *,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    tenants: Sequence[tuple[str, str]] = (),
    user_uuid: str | None = None,
    policy: str | None = None,
    warnings: Sequence[str] = (),
) -> AuditResult:
    """Every CDR classified and counted; `user_uuid` limits the summary to that user."""
    categories = dict.fromkeys(CATEGORIES, 0)
    out_of_scope = dict.fromkeys(OUT_OF_SCOPE, 0)
    tallies: dict[tuple[str, str], _Tally] = {}
    days: dict[date, list[int]] = {day: [0, 0, 0, 0, 0] for day in _days(start, end, zone)}
    exceptions: list[Verdict] = []
    day_of: dict[str, date | None] = {}  # the local date of a start, by its minute and offset
    for cdr in cdrs:
        decision = decide(cdr, requirement)
        category = decision.category
        if category is None:
            out_of_scope[decision.out_of_scope or OUT_OF_SCOPE[0]] += 1
            continue
        categories[category] += 1
        if category in FINDINGS:
            exceptions.append(classify(cdr, requirement, zone, decision))
        text = str(cdr.get("start") or "")
        key = text[:16] + text[-6:]
        if key not in day_of:
            moment = parse_instant(text)
            day_of[key] = moment.astimezone(zone).date() if moment else None
        day = day_of[key]
        if day is not None:
            counts = days.get(day)
            if counts is None:
                counts = days[day] = [0, 0, 0, 0, 0]
            counts[0] += 1
            counts[1] += decision.required
            counts[2] += decision.required and decision.recorded
            counts[3] += category == MISSING
            counts[4] += category == UNEXPECTED
        direction = cdr.get("call_direction") or ""
        for role, person in (("source", decision.source), ("destination", decision.destination)):
            if person is None or (user_uuid is not None and person.uuid != user_uuid):
                continue
            tally = tallies.get((person.uuid, direction))
            if tally is None:
                tally = tallies[(person.uuid, direction)] = _Tally()
            counts = tally.counts
            counts["calls"] += 1
            counts["required"] += decision.required
            counts["recorded"] += decision.recorded
            counts[category] += 1
            tally.flags.add(person.flags[_FIELD_OF[(direction, role)]])

    rows = []
    for (uuid, direction), tally in tallies.items():
        person = requirement.users[uuid]
        c = tally.counts
        rows.append(
            SummaryRow(
                tenant_uuid=person.tenant_uuid,
                user_uuid=uuid,
                user=person.display,
                direction=direction,
                calls=c["calls"],
                required=c["required"],
                recorded=c["recorded"],
                ok=c[OK],
                missing=c[MISSING],
                deleted=c[DELETED],
                on_demand=c[ON_DEMAND],
                unexpected=c[UNEXPECTED],
                requirement=_requirement_text({flag.managed for flag in tally.flags}),
            )
        )
    rows.sort(key=lambda r: (-(r.missing + r.unexpected), r.user.lower(), r.direction))
    shown_user = requirement.users[user_uuid].display if user_uuid in requirement.users else None
    return AuditResult(
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        zone=str(zone),
        tenants=tuple(tenants),
        user=shown_user if user_uuid is not None else None,
        policy=policy,
        categories=categories,
        out_of_scope=out_of_scope,
        rows=tuple(rows),
        days=tuple(
            DayRow(day, *counts) for day, counts in sorted(days.items(), key=lambda kv: kv[0])
        ),
        exceptions=tuple(exceptions),
        users_from_stack=_users_from_stack(requirement, user_uuid),
        warnings=tuple(warnings),
    )


def _requirement_text(managed: set[bool]) -> str:
    if managed == {True}:
        return "policy"
    if managed == {False}:
        return "stack"
    return "policy+stack"


def _users_from_stack(requirement: Requirement, user_uuid: str | None) -> dict[str, int]:
    """Per field, how many users' value is the stack's (the policy does not manage it)."""
    counts = dict.fromkeys(USER_FIELDS, 0)
    for uuid, person in requirement.users.items():
        if user_uuid is not None and uuid != user_uuid:
            continue
        for name in USER_FIELDS:
            counts[name] += not person.flags[name].managed
    return counts


def _days(start: datetime, end: datetime, zone: tzinfo) -> list[date]:
    """Every local date the window touches, so that a day without calls shows as zero."""
    first = start.astimezone(zone).date()
    last = (end.astimezone(zone) - timedelta(microseconds=1)).date()
    if (last - first).days > 3660:
        return []  # a decade or more: only the days that had calls
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
