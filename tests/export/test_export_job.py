"""The export job driven directly, for what the command line cannot set: deadlines, hooks."""

from __future__ import annotations

import io
import re

import pytest
from observed import PARIS, launched_posts

from wazo_rec_tools.config import ExportConfig
from wazo_rec_tools.destinations import open_destination
from wazo_rec_tools.export.job import ExportJob, PollPolicy
from wazo_rec_tools.export.journal import Journal
from wazo_rec_tools.export.progress import LineReporter


class HookedReporter(LineReporter):
    """Plain lines into memory, and a callback on each one (to act at a precise step)."""

    def __init__(self, on_info=None):
        super().__init__(io.StringIO(), io.StringIO())
        self.on_info = on_info

    def info(self, message: str) -> None:
        super().info(message)
        if self.on_info:
            self.on_info(message)


@pytest.fixture
def make_job(wazo, tmp_path):
    settings = ExportConfig.model_validate(
        {
            "state_dir": str(tmp_path / "state"),
            "tenants": ["acme"],
            "destinations": [(tmp_path / "archives").as_uri()],
        }
    )
    journals = []

    def make(reporter=None, poll=None) -> tuple[ExportJob, Journal]:
        journal = Journal.open(settings.state_dir)
        journals.append(journal)
        job = ExportJob(
            wazo,
            settings,
            journal,
            [open_destination(url) for url in settings.destinations],
            reporter or HookedReporter(),
            zone=PARIS,
            poll=poll or PollPolicy(first=0.02, longest=0.1),
        )
        return job, journal

    yield make
    for journal in journals:
        journal.close()


def test_export_still_pending_at_the_deadline_fails_and_is_launched_again_next_run(
    make_job, sandbox
):
    sandbox.export_delay = 5.0
    job, journal = make_job(poll=PollPolicy(first=0.02, longest=0.05, deadline=0.2))

    report = job.run()

    assert not report.ok
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert len(failed) == 4
    assert "still pending after" in failed[0].detail
    sandbox.export_delay = 0.05
    job, journal = make_job()

    assert job.run().ok
    assert {e.attempts for e in journal.entries()} == {2}
    assert len(launched_posts(sandbox)) == 8


def test_export_purged_while_polled_fails_and_is_launched_again_next_run(make_job, sandbox):
    sandbox.export_delay = 1.0
    purged = []

    def purge_first_launch(message: str) -> None:
        found = re.search(r"launched export (\S+)", message)
        if found and not purged:
            purged.append(found.group(1))
            sandbox.store.calllogd.purge_export(found.group(1))

    job, journal = make_job(HookedReporter(purge_first_launch))

    report = job.run()

    assert not report.ok
    (failed,) = [o for o in report.outcomes if o.status == "failed"]
    assert "no longer exists on call-logd" in failed.detail
    job, journal = make_job()
    assert job.run().ok
    assert {e.status for e in journal.entries()} == {"delivered"}


def test_stack_unreachable_while_polling_keeps_the_export_to_resume(make_job, sandbox):
    sandbox.export_delay = 0.5
    job, journal = make_job()
    sandbox.faults.add(status=503, method="GET", path=r"/exports/[^/]+$")

    report = job.run()

    assert not report.ok
    assert {o.status for o in report.outcomes} == {"pending"}
    assert {(e.status, e.attempts) for e in journal.entries()} == {("launched", 1)}
    assert all("503" in e.last_error for e in journal.entries())
    sandbox.faults.clear()
    job, journal = make_job()

    assert job.run().ok
    assert len(launched_posts(sandbox)) == 4
