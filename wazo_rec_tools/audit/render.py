"""The sentences of an audit report (shared by text and HTML), and its CSV: one row per
missing or unexpected call."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from ..policy.model import USER_FIELDS
from .classify import CATEGORIES, MISSING, UNEXPECTED, Verdict
from .result import AuditResult

CSV_COLUMNS = (
    "category",
    "cdr_id",
    "start",
    "tenant_uuid",
    "direction",
    "source",
    "source_user_uuid",
    "destination",
    "destination_user_uuid",
    "via",
    "recordings",
    "deleted_recordings",
    "flags",
)

_OUT_OF_SCOPE_TEXT = {
    "unanswered": "unanswered",
    "not-users": "not between users",
    "other-direction": "of another direction",
}


def window_text(result: AuditResult) -> str:
    return (
        f"{result.start:%Y-%m-%d %H:%M} to {result.end:%Y-%m-%d %H:%M} ({result.zone}), "
        "calls by their start, the end excluded"
    )


def requirement_text(result: AuditResult) -> str:
    """Where the requirement comes from, and which fields the policy leaves to the stack."""
    source = f"the policy {result.policy}" if result.policy else "the stack's current settings"
    from_stack = [
        f"{name} ({count} user{'s' if count != 1 else ''})"
        for name in USER_FIELDS
        if (count := result.users_from_stack.get(name, 0))
    ]
    if result.policy and from_stack:
        return f"Requirement: {source}; not managed by it, so taken from the stack: " + ", ".join(
            from_stack
        )
    return f"Requirement: {source}."


def totals_text(result: AuditResult) -> str:
    c = result.categories
    parts = ", ".join(f"{c[name]} {name}" for name in CATEGORIES)
    out = ", ".join(
        f"{count} {_OUT_OF_SCOPE_TEXT[reason]}"
        for reason, count in result.out_of_scope.items()
        if count
    )
    line = f"Calls: {result.in_scope} in scope ({result.required} required): {parts}."
    return line + (f" Out of scope: {out}." if out else "")


def verdict_text(result: AuditResult) -> str:
    if result.clean:
        return "Result: no call was missing or unexpected."
    c = result.categories
    return f"Result: {c[MISSING]} missing and {c[UNEXPECTED]} unexpected call(s)."


def csv_lines(result: AuditResult) -> Iterator[str]:
    """The exceptions as CSV, header first (the summary is in the text, JSON and HTML)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(list(CSV_COLUMNS))
    for verdict in result.exceptions:
        yield line(_csv_row(verdict))


def _csv_row(v: Verdict) -> list:
    return [
        v.category,
        v.cdr_id,
        v.start.isoformat() if v.start else "",
        v.tenant_uuid or "",
        v.direction or "",
        v.source.text,
        v.source.user_uuid or "",
        v.destination.text,
        v.destination.user_uuid or "",
        v.via or "",
        v.recordings,
        v.recordings - v.kept,
        "; ".join(r.text for r in v.reasons),
    ]


def json_chunks(result: AuditResult) -> Iterator[str]:
    """`result.as_json()` as JSON, written one list item at a time.

    Indented like `--output json` elsewhere, except that each item of `summary`, `days` and
    `exceptions` is one line: grep-able, and encoded by the C encoder (indentation would
    need the pure-Python one, the slowest part of a report listing tens of thousands of
    calls). The whole document is never held in memory.
    """
    streamed = {"exceptions": result.exceptions, "summary": result.rows, "days": result.days}
    head = result.as_json(lists=False)
    keys = sorted([*head, *streamed])
    yield "{"
    for n, key in enumerate(keys):
        yield ("\n" if n == 0 else ",\n") + f"  {json.dumps(key)}: "
        if key not in streamed:
            yield json.dumps(head[key], indent=2, sort_keys=True).replace("\n", "\n  ")
            continue
        items = streamed[key]
        if not items:
            yield "[]"
            continue
        for i, item in enumerate(items):
            yield ("[\n    " if i == 0 else ",\n    ") + _ONE_LINE.encode(item.as_json())
        yield "\n  ]"
    yield "\n}\n"


_ONE_LINE = json.JSONEncoder(sort_keys=True, separators=(", ", ": "))
