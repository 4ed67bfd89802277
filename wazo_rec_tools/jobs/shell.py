"""The job shell: what runs around every unattended job (`export run`, `apply`, the mirror).

    lock -> hooks and state -> ping start -> the job's work -> events (outbox) -> webhooks,
    Apprise -> ping success | fail (with the log tail) -> metrics -> unlock

The job's own result decides the exit code. A failing webhook, ping, Apprise call or
metrics write is a warning: it never changes the exit code and never hides the job's first
error (the exception the work raised is raised again, unchanged, once the monitors ran), as
borgmatic's monitoring hooks do. A dry run takes no lock, writes nothing, calls no hook and
says what it would have sent.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..config import Config
from ..errors import UserError
from . import events as ev
from . import hooks as hook_config
from . import metrics, pings, runs, webhooks
from .hooks import APPRISE_BODY_LIMIT, Hook
from .lock import JobLock
from .outbox import Outbox
from .report import JobOutcome, Notice, RunReport
from .reporter import RecordingReporter, Reporter, StreamReporter
from .state import DB_NAME, open_state


@dataclass(frozen=True)
class RunContext:
    """What the shell hands the job's work."""

    reporter: RecordingReporter
    # the start of an earlier run of this job that was killed before it finished: what it
    # did since then has not been announced yet
    interrupted_since: datetime | None = None


Work = Callable[[RunContext], JobOutcome]


@dataclass
class _Run:
    started: datetime
    reporter: RecordingReporter
    notices: list[Notice] = field(default_factory=list)

    def notice(self, hook: str, what: str, status: str, detail: str = "") -> None:
        self.notices.append(Notice(hook, what, status, detail))
        if status == "failed":
            self.reporter.warning(f"{hook}: {what}: {detail} (the job's result is unchanged)")
        elif status == "would-send":
            self.reporter.info(f"dry run: would send {what} to {hook}")


class JobShell:
    def __init__(
        self,
        job: str,
        config: Config,
        *,
        what: str | None = None,
        reporter: Reporter | None = None,
        dry_run: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        host: str | None = None,
    ):
        self.job = job
        self.config = config
        self.what = what or f"{job} run"
        self.reporter = reporter or StreamReporter()
        self.dry_run = dry_run
        self.now = now
        self.host = host or socket.gethostname()
        self.state_dir = Path(config.export.state_dir)

    def run(self, work: Work) -> RunReport:
        """Run `work` inside the shell; its exception, if any, is raised again at the end."""
        if self.dry_run:
            return self._run(work, hook_config.configured(self.config), None)
        with JobLock(self.state_dir, self.job, self.what):
            hooks = hook_config.load(self.config)  # a bad secret: exit 1 before any work
            conn = open_state(self.state_dir)
            try:
                return self._run(work, hooks, conn)
            finally:
                conn.close()

    # -- the run -------------------------------------------------------------------------

    def _run(self, work: Work, hooks: list[Hook], conn: sqlite3.Connection | None) -> RunReport:
        run = _Run(self.now(), RecordingReporter(self.reporter))
        run_id, interrupted = (0, None) if conn is None else runs.begin(conn, self.job, run.started)
        if interrupted is not None:
            run.reporter.warning(
                f"the {self.what} started {ev.instant(interrupted)} did not finish (killed?); "
                "what it did is announced now"
            )
        self._ping(run, hooks, "start", b"")
        raised: BaseException | None = None
        try:
            outcome = work(RunContext(run.reporter, interrupted))
        except BaseException as exc:  # re-raised below, once the monitors ran
            raised = exc
            message = str(exc) if isinstance(exc, UserError) else _internal(exc)
            run.reporter.lines.append(f"error: {message}")
            outcome = JobOutcome()
            outcome.fail(message)
        finished = self.now()
        events = list(outcome.events)
        if interrupted is not None:
            events.append(
                ev.job_failed(
                    finished,
                    job=self.job,
                    started_at=interrupted,
                    errors=["the run was interrupted (killed or crashed) before it finished"],
                    host=self.host,
                )
            )
        if not outcome.ok:
            events.append(
                ev.job_failed(
                    finished,
                    job=self.job,
                    started_at=run.started,
                    errors=outcome.errors,
                    host=self.host,
                )
            )
        self._guarded(run, "webhooks", lambda: self._webhooks(run, hooks, conn, events))
        self._guarded(run, "apprise", lambda: self._apprise(run, hooks, events, outcome))
        tail = pings.log_tail(run.reporter.lines)
        self._ping(run, hooks, "success" if outcome.ok else "fail", tail)
        self._guarded(run, "metrics", lambda: self._metrics(run, conn, outcome, finished))
        if conn is not None:
            self._guarded(
                run, "runs", lambda: runs.finish(conn, self.job, run_id, finished, outcome.ok)
            )
        report = RunReport(
            job=self.job,
            started_at=run.started,
            finished_at=finished,
            ok=outcome.ok,
            dry_run=self.dry_run,
            errors=tuple(outcome.errors),
            tenants=dict(outcome.tenants),
            events=tuple(events),
            notices=tuple(run.notices),
            summary=dict(outcome.summary),
        )
        if raised is not None:
            raise raised
        return report

    def _guarded(self, run: _Run, what: str, step: Callable[[], None]) -> None:
        """A monitor's bug is a warning too: it must not turn a good run into a failed one."""
        try:
            step()
        except UserError as exc:
            run.notice(what, "update", "failed", str(exc))
        except Exception as exc:
            run.notice(what, "update", "failed", _internal(exc))

    # -- pings ---------------------------------------------------------------------------

    def _ping(self, run: _Run, hooks: list[Hook], state: str, body: bytes) -> None:
        for hook in hooks:
            if not hook.entry.follows_job(self.job):
                continue
            suffix = getattr(hook.entry, state)
            if suffix is None:
                continue
            what = f"ping {state}"
            if self.dry_run:
                run.notice(hook.label, what, "would-send")
                continue
            try:
                attempt = pings.send(pings.ping_url(hook.entry.url, suffix), body, hook.timeout)
            except Exception as exc:
                run.notice(hook.label, what, "failed", _internal(exc))
                continue
            run.notice(hook.label, what, "sent" if attempt.ok else "failed", attempt.detail)

    # -- webhooks ------------------------------------------------------------------------

    def _webhooks(
        self,
        run: _Run,
        hooks: list[Hook],
        conn: sqlite3.Connection | None,
        events: list[ev.Event],
    ) -> None:
        targets = [h for h in hooks if h.kind == "webhook"]
        if not targets:
            return
        if self.dry_run:
            old = pending_counts(self.state_dir)
            for hook in targets:
                waiting = old.get(hook.outbox_key, 0)
                if waiting:
                    kept = f"{waiting} event(s) kept from earlier runs"
                    run.notice(hook.label, kept, "would-send")
                for event in events:
                    if hook.entry.follows_event(event.type):
                        run.notice(hook.label, event.type, "would-send")
            return
        assert conn is not None
        outbox = Outbox(conn)
        now = self.now()
        # committed before any attempt: a crash from here on leaves them for the next run
        for event in events:
            keys = [h.outbox_key for h in targets if h.entry.follows_event(event.type)]
            outbox.add(event, keys, now)
        for hook in targets:
            assert hook.key is not None
            for item in outbox.pending(hook.outbox_key):
                stamp = int(self.now().timestamp())
                attempt = webhooks.post(
                    hook.entry.url, hook.key, item.id, stamp, item.body, hook.timeout
                )
                what = f"{item.event_type} {item.id}"
                if attempt.ok:
                    outbox.delivered(item, self.now())
                    run.notice(hook.label, what, "sent", attempt.detail)
                    continue
                outbox.failed(item, attempt.detail, self.now())
                # a receiver that fails once is not called again in this run
                left = len(outbox.pending(hook.outbox_key)) - 1
                more = f", with {left} more event(s)" if left > 0 else ""
                run.notice(
                    hook.label, what, "failed", f"{attempt.detail}; kept for the next run{more}"
                )
                break
        outbox.prune(now, [h.outbox_key for h in targets])

    # -- Apprise -------------------------------------------------------------------------

    def _apprise(
        self, run: _Run, hooks: list[Hook], events: list[ev.Event], outcome: JobOutcome
    ) -> None:
        for hook in hooks:
            if hook.kind != "apprise":
                continue
            chosen = [e for e in events if hook.entry.follows_event(e.type)]
            for event in chosen:
                if self.dry_run:
                    run.notice(hook.label, event.type, "would-send")
                    continue
                title, body = _message(self.job, self.host, event, run.reporter.lines)
                ok, detail = _apprise_notify(hook.entry.url, title, body)
                run.notice(hook.label, event.type, "sent" if ok else "failed", detail)

    # -- metrics -------------------------------------------------------------------------

    def _metrics(
        self,
        run: _Run,
        conn: sqlite3.Connection | None,
        outcome: JobOutcome,
        finished: datetime,
    ) -> None:
        path = self.config.metrics
        if self.dry_run:
            if path is not None:
                run.notices.append(Notice(f"metrics {path}", "rewrite", "would-send"))
                run.reporter.info(f"dry run: would rewrite the metrics file {path}")
            return
        assert conn is not None
        update = outcome.metrics
        stamp = finished.timestamp()
        job = {"job": self.job}
        result = "success" if outcome.ok else "failure"
        update.inc("wazo_rec_job_runs_total", {**job, "result": result})
        update.gauge(f"wazo_rec_job_last_{result}_timestamp_seconds", job, stamp)
        update.gauge(
            "wazo_rec_job_last_duration_seconds", job, (finished - run.started).total_seconds()
        )
        for tenant, ok in outcome.tenants.items():
            name = "success" if ok else "failure"
            update.gauge(
                f"wazo_rec_tenant_last_{name}_timestamp_seconds",
                {**job, "tenant": tenant},
                stamp,
            )
        waiting = Outbox(conn).counts()
        configured = {h.outbox_key for h in hook_config.configured(self.config)}
        update.reset.add("wazo_rec_notify_pending_events")
        update.gauge(
            "wazo_rec_notify_pending_events",
            {},
            sum(n for key, n in waiting.items() if key in configured),
        )
        metrics.apply_update(conn, update)
        if path is not None:
            metrics.write_textfile(path, metrics.render(metrics.samples(conn)))


def pending_counts(state_dir: Path) -> dict[str, int]:
    """Undelivered events per hook, read without creating anything (dry runs)."""
    if not (state_dir / DB_NAME).exists():
        return {}
    conn = open_state(state_dir, create=False)
    try:
        return Outbox(conn).counts()
    finally:
        conn.close()


def _message(job: str, host: str, event: ev.Event, lines: list[str]) -> tuple[str, str]:
    data = event.data
    title = f"wazo-rec {job} on {host}: {event.type}"
    summary = data.get("error") or ", ".join(
        f"{k}: {data[k]}" for k in ("recordings", "size", "changed", "drift") if k in data
    )
    tail = pings.log_tail(lines, APPRISE_BODY_LIMIT).decode(errors="replace")
    return title, f"{summary}\n\n{tail}".strip()


def _apprise_notify(url: str, title: str, body: str) -> tuple[bool, str]:
    import apprise  # the optional extra, imported only when an entry uses it

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return False, "Apprise does not accept this URL"
    ok = notifier.notify(title=title, body=body)
    return bool(ok), "delivered" if ok else "Apprise could not deliver it"


def _internal(exc: BaseException) -> str:
    name = type(exc).__name__
    return "interrupted" if isinstance(exc, KeyboardInterrupt) else f"internal error: {name}: {exc}"
