"""A run as values: what the job hands its shell (`JobOutcome`), and the run's summary
(`RunReport`, with one `as_json()`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .events import Event, instant
from .metrics import Update


@dataclass
class JobOutcome:
    """What a job's work produced; the shell turns it into notifications and metrics."""

    ok: bool = True
    errors: list[str] = field(default_factory=list)  # the first one first
    events: list[Event] = field(default_factory=list)
    tenants: dict[str, bool] = field(default_factory=dict)  # tenant slug -> all done
    metrics: Update = field(default_factory=Update)
    summary: dict[str, Any] = field(default_factory=dict)

    def fail(self, error: str) -> None:
        self.ok = False
        self.errors.append(error)


@dataclass(frozen=True)
class Notice:
    """One notification: sent, failed (a warning), or what a dry run would have sent."""

    hook: str  # how the hook is shown: `webhook https://hooks.acme.com/…`
    what: str  # `export.delivered msg_…`, `ping start`, ...
    status: str  # sent | failed | would-send
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        return {"hook": self.hook, "what": self.what, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class RunReport:
    job: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    dry_run: bool
    errors: tuple[str, ...]
    tenants: Mapping[str, bool]
    events: tuple[Event, ...]
    notices: tuple[Notice, ...]
    summary: Mapping[str, Any]

    @property
    def warnings(self) -> list[str]:
        return [f"{n.hook}: {n.what}: {n.detail}" for n in self.notices if n.status == "failed"]

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "started_at": instant(self.started_at),
            "finished_at": instant(self.finished_at),
            "duration_seconds": round((self.finished_at - self.started_at).total_seconds(), 3),
            "errors": list(self.errors),
            "tenants": dict(self.tenants),
            "events": [{"id": e.id, **e.as_json()} for e in self.events],
            "notifications": [n.as_json() for n in self.notices],
            "summary": dict(self.summary),
        }
