"""The job shell around a plain function: first error first, monitors never decide the result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wazo_rec_tools.config import Config, load_config
from wazo_rec_tools.errors import UserError
from wazo_rec_tools.jobs import events as ev
from wazo_rec_tools.jobs.report import JobOutcome
from wazo_rec_tools.jobs.shell import JobShell

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Quiet:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warning(self, message: str) -> None:
        self.lines.append(f"warning: {message}")

    def error(self, message: str) -> None:
        self.lines.append(f"error: {message}")


def config(tmp_path, extra: str = "") -> Config:
    path = tmp_path / "config.yml"
    path.write_text(f"export:\n  state_dir: {tmp_path / 'state'}\n{extra}")
    return load_config(path)


def test_the_work_error_is_raised_unchanged_after_the_monitors(tmp_path):
    boom = UserError("stack unreachable")

    def work(run):
        run.reporter.info("starting")
        raise boom

    with pytest.raises(UserError) as raised:
        JobShell("export", config(tmp_path), reporter=Quiet()).run(work)

    assert raised.value is boom


def test_a_metrics_file_that_cannot_be_written_is_a_warning_only(tmp_path):
    cfg = config(tmp_path, f"metrics: {tmp_path / 'missing' / 'folder' / 'x.prom'}\n")
    reporter = Quiet()

    report = JobShell("sync", cfg, reporter=reporter).run(lambda run: JobOutcome())

    assert report.ok
    assert any("cannot write the metrics file" in line for line in reporter.lines)
    assert report.warnings and "cannot write the metrics file" in report.warnings[0]


def test_a_failed_outcome_adds_job_failed_with_its_first_error_first(tmp_path):
    def work(run):
        outcome = JobOutcome()
        outcome.fail("acme 2026-11-23_2026-11-30: export ended in error")
        outcome.fail("globex 2026-11-23_2026-11-30: export ended in error")
        return outcome

    report = JobShell("export", config(tmp_path), reporter=Quiet(), host="pbx").run(work)

    assert not report.ok
    (failed,) = report.events
    assert failed.type == ev.JOB_FAILED
    assert failed.data["error"].startswith("acme")
    assert failed.data["host"] == "pbx"


def test_run_report_as_json_is_the_run_summary(tmp_path):
    times = iter([AT, AT.replace(minute=1), AT.replace(minute=1), AT.replace(minute=1)])

    def work(run):
        outcome = JobOutcome(tenants={"acme": True}, summary={"windows": {"delivered": 1}})
        outcome.events.append(ev.job_failed(AT, job="x", started_at=AT, errors=[], host="h"))
        return outcome

    shell = JobShell("export", config(tmp_path), reporter=Quiet(), now=lambda: next(times, AT))
    document = shell.run(work).as_json()

    assert document["job"] == "export"
    assert document["ok"] is True
    assert document["started_at"] == "2026-12-01T09:00:00+00:00"
    assert document["duration_seconds"] == 60
    assert document["tenants"] == {"acme": True}
    assert document["summary"] == {"windows": {"delivered": 1}}
    assert document["events"][0]["type"] == "job.failed"
    assert document["events"][0]["id"].startswith("msg_")


def test_a_dry_run_writes_no_state_and_takes_no_lock(tmp_path):
    cfg = config(tmp_path, f"metrics: {tmp_path / 'x.prom'}\n")
    reporter = Quiet()

    JobShell("export", cfg, reporter=reporter, dry_run=True).run(lambda run: JobOutcome())

    assert not (tmp_path / "state").exists()
    assert not (tmp_path / "x.prom").exists()
    assert f"dry run: would rewrite the metrics file {tmp_path / 'x.prom'}" in reporter.lines
