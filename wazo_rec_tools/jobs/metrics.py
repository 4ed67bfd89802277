"""Metrics for node_exporter's textfile collector (`metrics:` in the config).

The figures live in the state database (counters only grow, across runs and jobs); at the
end of each run the whole file is rendered from them and replaced atomically, so that
node_exporter never reads half of it. Names follow Prometheus conventions: a `wazo_rec_`
prefix, `_total` for counters, base units (`_seconds`, `_bytes`), HELP and TYPE lines.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..durable import write_text
from ..errors import UserError

FILE_MODE = 0o644  # node_exporter runs as its own user


@dataclass(frozen=True)
class Family:
    type: str  # counter | gauge
    help: str


FAMILIES: dict[str, Family] = {
    "wazo_rec_job_last_success_timestamp_seconds": Family(
        "gauge", "When a run of the job last succeeded (Unix time)."
    ),
    "wazo_rec_job_last_failure_timestamp_seconds": Family(
        "gauge", "When a run of the job last failed (Unix time)."
    ),
    "wazo_rec_job_last_duration_seconds": Family("gauge", "How long the job's last run took."),
    "wazo_rec_job_runs_total": Family("counter", "Runs of the job, by result."),
    "wazo_rec_tenant_last_success_timestamp_seconds": Family(
        "gauge", "When the job last completed everything due for the tenant (Unix time)."
    ),
    "wazo_rec_tenant_last_failure_timestamp_seconds": Family(
        "gauge", "When the job last failed something for the tenant (Unix time)."
    ),
    "wazo_rec_failures_total": Family(
        "counter", "Failed items (export windows, mirrored recordings, policy changes)."
    ),
    "wazo_rec_export_windows_delivered_total": Family(
        "counter", "Export windows delivered to every destination."
    ),
    "wazo_rec_export_windows_pending": Family(
        "gauge", "Export windows due but not delivered at the end of the last run."
    ),
    "wazo_rec_export_recordings_delivered_total": Family(
        "counter", "Recordings in the export archives delivered."
    ),
    "wazo_rec_export_delivered_bytes_total": Family(
        "counter",
        "Bytes of export archives delivered (once per archive, whatever the destinations).",
    ),
    "wazo_rec_mirror_recordings_delivered_total": Family(
        "counter", "Recordings delivered by the mirror."
    ),
    "wazo_rec_mirror_delivered_bytes_total": Family(
        "counter", "Bytes of recordings delivered by the mirror."
    ),
    "wazo_rec_mirror_recordings_given_up": Family(
        "gauge", "Recordings the mirror gave up on after every attempt (see mirror status)."
    ),
    "wazo_rec_policy_drift_objects": Family(
        "gauge", "Objects that differed from the policy when the last sync started."
    ),
    "wazo_rec_policy_changes_applied_total": Family("counter", "Policy changes written."),
    "wazo_rec_notify_pending_events": Family(
        "gauge", "Webhook events waiting in the outbox for a retry."
    ),
}


@dataclass
class Update:
    """What one run changes: counters to add to, gauges to set, gauge families to reset."""

    counters: list[tuple[str, dict[str, str], float]] = field(default_factory=list)
    gauges: list[tuple[str, dict[str, str], float]] = field(default_factory=list)
    reset: set[str] = field(default_factory=set)  # families whose old series are dropped

    def inc(self, name: str, labels: Mapping[str, str], by: float = 1) -> None:
        self.counters.append((name, dict(labels), by))

    def gauge(self, name: str, labels: Mapping[str, str], value: float) -> None:
        self.gauges.append((name, dict(labels), value))


def apply_update(conn: sqlite3.Connection, update: Update) -> None:
    """Record a run's figures in one transaction."""
    for name, *_ in (*update.counters, *update.gauges):
        if name not in FAMILIES:
            raise ValueError(f"unknown metric {name!r}")
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        for name in update.reset:
            conn.execute("DELETE FROM metrics WHERE name = ?", (name,))
        for name, labels, by in update.counters:
            conn.execute(
                "INSERT INTO metrics (name, labels, value) VALUES (?, ?, ?) "
                "ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value",
                (name, _key(labels), by),
            )
        for name, labels, value in update.gauges:
            conn.execute(
                "INSERT INTO metrics (name, labels, value) VALUES (?, ?, ?) "
                "ON CONFLICT (name, labels) DO UPDATE SET value = excluded.value",
                (name, _key(labels), value),
            )


def samples(conn: sqlite3.Connection) -> list[tuple[str, dict[str, str], float]]:
    rows = conn.execute("SELECT name, labels, value FROM metrics").fetchall()
    return [(name, json.loads(labels), value) for name, labels, value in rows]


def render(series: Iterable[tuple[str, Mapping[str, str], float]]) -> str:
    """The exposition text: each family once, with HELP and TYPE, in a stable order."""
    by_family: dict[str, list[tuple[Mapping[str, str], float]]] = {}
    for name, labels, value in series:
        by_family.setdefault(name, []).append((labels, value))
    lines: list[str] = []
    for name in sorted(by_family):
        family = FAMILIES[name]
        lines.append(f"# HELP {name} {family.help}")
        lines.append(f"# TYPE {name} {family.type}")
        for labels, value in sorted(by_family[name], key=lambda s: sorted(s[0].items())):
            lines.append(f"{name}{_labels(labels)} {_number(value)}")
    return "\n".join(lines) + "\n" if lines else ""


def write_textfile(path: Path, text: str) -> None:
    try:
        write_text(path, text, FILE_MODE, exact=True)
    except OSError as exc:
        raise UserError(f"cannot write the metrics file {path}: {exc.strerror}") from None


def _key(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(labels.items())), separators=(",", ":"))


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
