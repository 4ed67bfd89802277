"""The export's fault suite: each injected fault, then runs until it converges.

Converged means: every scheduled window of the tenant, from the first one to the last complete
bound, is delivered (or empty) exactly once, the journal's windows tile time without a hole or
an overlap, every archive holds the window's recordings and matches its manifest, nothing stray
is left in the destination or the spool, and `pending_windows` (what `export status` shows)
is empty. The job runs in-process with its clock injected, against the sandbox over HTTP.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from observed import DOWNLOAD, EXPORT_POST, PARIS, launched_posts, listed_recordings

from wazo_rec_tools.config import ExportConfig
from wazo_rec_tools.destinations import open_destination
from wazo_rec_tools.export.job import ExportJob, PollPolicy, RunReport, pending_windows
from wazo_rec_tools.export.journal import Journal
from wazo_rec_tools.export.progress import LineReporter
from wazo_rec_tools.export.windows import last_complete

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


class Runs:
    """Runs of the export for acme, each with its own clock, zone and destinations."""

    def __init__(self, wazo, tmp_path: Path):
        self.wazo = wazo
        self.state_dir = tmp_path / "state"
        self.archives = tmp_path / "archives"
        self.out = io.StringIO()
        self.delivered: Counter = Counter()
        self.last: tuple[datetime, ExportConfig, ZoneInfo] | None = None

    def settings(self, **overrides) -> ExportConfig:
        values = {
            "state_dir": str(self.state_dir),
            "tenants": ["acme"],
            "catch_up": 2,
            "destinations": [self.archives.as_uri()],
        }
        return ExportConfig.model_validate(values | overrides)

    def run(
        self, now: datetime, zone=PARIS, destinations: list[str] | None = None, **overrides
    ) -> RunReport:
        settings = self.settings(**overrides)
        urls = destinations or settings.destinations
        with Journal.open(settings.state_dir) as journal:
            job = ExportJob(
                self.wazo,
                settings,
                journal,
                [open_destination(url) for url in urls],
                LineReporter(self.out, self.out),
                zone=zone,
                now=lambda: now,
                poll=PollPolicy(first=0.02, longest=0.1, deadline=30),
            )
            report = job.run()
        for outcome in report.outcomes:
            if outcome.status == "delivered" and outcome.detail != "already done":
                self.delivered[outcome.window.key] += 1
        if destinations is None:
            self.last = (now, settings, zone)
        return report

    def until_converged(self, now: datetime, zone=PARIS, **overrides) -> RunReport:
        report = self.run(now, zone, **overrides)
        assert report.ok, self.out.getvalue()
        return report

    def assert_converged(self, sandbox) -> None:
        assert self.last is not None
        now, settings, zone = self.last
        acme = sandbox.store.tenant("acme")["uuid"]
        with Journal.open(self.state_dir) as journal:
            rows = [e for e in journal.entries(acme) if e.kind != "adhoc"]
            assert pending_windows(journal, now, settings, zone) == []
        assert rows
        assert {e.status for e in rows} <= {"delivered", "empty"}, [e.status for e in rows]
        spans = sorted((e.window.start_utc, e.window.end_utc) for e in rows)
        for (_, earlier_end), (later_start, _) in itertools.pairwise(spans):
            assert earlier_end == later_start, "a hole or an overlap in the journal"
        assert spans[-1][1] == last_complete(now, settings.schedule, zone).end_utc
        delivered = [e for e in rows if e.status == "delivered"]
        assert set(self.delivered.values()) <= {1}, "a window delivered twice"
        files = sorted(p for p in self.archives.rglob("*") if p.is_file())
        assert len(files) == 2 * len(delivered), [p.name for p in files]
        assert not [p for p in files if p.name.startswith(".")], "a stray temporary file"
        for entry in delivered:
            (location,) = entry.locations
            archive = Path(location.removeprefix("file://"))
            data = archive.read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry.sha256
            manifest = json.loads(archive.with_name(archive.name + ".manifest.json").read_text())
            assert manifest["archive"]["sha256"] == entry.sha256
            with zipfile.ZipFile(archive) as opened:
                assert opened.testzip() is None
                names = {i.filename for i in opened.infolist() if not i.is_dir()}
            window = entry.window
            assert names == listed_recordings(self.wazo, acme, window.start, window.end)
        spool = self.state_dir / "spool"
        assert not spool.exists() or list(spool.iterdir()) == []


@pytest.fixture
def runs(wazo, tmp_path) -> Runs:
    return Runs(wazo, tmp_path)


def now_minus(weeks: int = 0) -> datetime:
    return datetime.now(UTC) - timedelta(weeks=weeks)


def test_a_refused_launch_leaves_its_window_due_for_the_next_run(runs, sandbox):
    sandbox.faults.add(status=500, method="POST", path=EXPORT_POST, count=1)

    first = runs.run(now_minus(1))

    assert not first.ok
    (refused,) = [o for o in first.outcomes if o.failed]
    assert refused.entry is not None and refused.entry.status == "planned"
    assert "500" in (refused.entry.last_error or "")
    runs.until_converged(now_minus(0))  # a week later: the refused week and the new one
    runs.assert_converged(sandbox)
    assert len(runs.delivered) == 3


def test_a_dropped_launch_leaves_its_window_due_for_the_next_run(runs, sandbox):
    sandbox.faults.add(drop=True, method="POST", path=EXPORT_POST, count=1)

    first = runs.run(now_minus(1))

    assert [o.status for o in first.outcomes if o.failed] == ["pending"]
    runs.until_converged(now_minus(0))
    runs.assert_converged(sandbox)


def test_polls_answered_5xx_resume_the_launched_export_without_launching_again(runs, sandbox):
    sandbox.export_delay = 0.3
    sandbox.faults.add(status=503, method="GET", path=r"/exports/[^/]+$")

    assert not runs.run(now_minus(0)).ok
    sandbox.faults.clear()
    runs.until_converged(now_minus(0))

    runs.assert_converged(sandbox)
    assert len(launched_posts(sandbox)) == 2


def test_a_download_cut_every_time_is_downloaded_again_next_run(runs, sandbox):
    sandbox.faults.add(drop=True, method="GET", path=DOWNLOAD)

    first = runs.run(now_minus(0))

    assert {o.status for o in first.outcomes} == {"pending"}
    sandbox.faults.clear()
    runs.until_converged(now_minus(0))
    runs.assert_converged(sandbox)
    assert len(launched_posts(sandbox)) == 2


def test_a_spooled_archive_with_a_flipped_byte_is_downloaded_again_not_delivered(
    runs, sandbox, tmp_path
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    first = runs.run(now_minus(0), destinations=[(blocked / "archives").as_uri()])
    assert {o.status for o in first.outcomes} == {"failed"}
    spooled = sorted((runs.state_dir / "spool").glob("*.zip"))
    assert len(spooled) == 2
    data = bytearray(spooled[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    spooled[0].write_bytes(bytes(data))
    sandbox.log.clear()

    runs.until_converged(now_minus(0))

    runs.assert_converged(sandbox)
    assert len(sandbox.log.find(method="GET", path=DOWNLOAD)) == 1  # only the corrupt one
    assert "no longer matches its sha256" in runs.out.getvalue()
    assert launched_posts(sandbox) == []


def test_a_failing_destination_keeps_the_checked_archive_and_delivers_it_next_run(
    runs, sandbox, tmp_path
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")

    first = runs.run(now_minus(0), destinations=[(blocked / "archives").as_uri()])

    assert {o.status for o in first.outcomes} == {"failed"}
    assert all("Not a directory" in o.detail for o in first.outcomes)
    sandbox.log.clear()
    runs.until_converged(now_minus(0))
    runs.assert_converged(sandbox)
    assert sandbox.log.find(method="GET", path=DOWNLOAD) == []


def test_a_change_of_zone_exports_the_time_between_the_last_window_and_the_new_schedule(
    runs, sandbox
):
    runs.until_converged(now_minus(1), zone=LOS_ANGELES)

    runs.until_converged(now_minus(0), zone=ZoneInfo("UTC"))

    runs.assert_converged(sandbox)
    with Journal.open(runs.state_dir) as journal:
        bounds = [(e.window.start_utc.hour, e.window.end_utc.hour) for e in journal.entries()]
    assert (7, 0) in bounds or (8, 0) in bounds  # the first UTC week starts at the LA midnight


def test_a_change_of_schedule_exports_every_day_since_the_last_week(runs, sandbox):
    runs.until_converged(now_minus(2))

    runs.until_converged(now_minus(0), schedule="daily")

    runs.assert_converged(sandbox)


def test_weeks_missed_beyond_catch_up_are_all_exported_by_the_next_run(runs, sandbox):
    runs.until_converged(now_minus(4))

    report = runs.until_converged(now_minus(0))

    assert len(report.outcomes) == 4  # catch_up (2) bounds only the very first run
    runs.assert_converged(sandbox)


def test_a_window_failing_every_time_exits_1_each_run_until_it_is_given_up(runs, sandbox):
    sandbox.faults.add(status=500, method="POST", path=EXPORT_POST)

    for _ in range(3):
        assert not runs.run(now_minus(0)).ok
    with Journal.open(runs.state_dir) as journal:
        acme = sandbox.store.tenant("acme")["uuid"]
        pending = pending_windows(journal, now_minus(0), runs.settings(), PARIS)
        assert [p.status for p in pending] == ["planned", "planned"]
        assert all("500" in p.why for p in pending)
        journal.skip(acme, "acme", pending[0].window.end, "lost in the outage")
    sandbox.faults.clear()

    runs.until_converged(now_minus(0))

    with Journal.open(runs.state_dir) as journal:
        statuses = [e.status for e in journal.entries()]
    assert statuses == ["skipped", "delivered"]


def test_dry_run_says_what_the_next_run_then_does(runs, sandbox, tmp_path, wazo):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    runs.run(now_minus(0), destinations=[(blocked / "archives").as_uri()])
    spooled = sorted((runs.state_dir / "spool").glob("*.zip"))
    spooled[0].write_bytes(b"not the archive any more")
    settings = runs.settings()

    with Journal.open(settings.state_dir) as journal:
        job = ExportJob(
            wazo,
            settings,
            journal,
            [open_destination(u) for u in settings.destinations],
            LineReporter(io.StringIO(), io.StringIO()),
            zone=PARIS,
            now=lambda: now_minus(0),
        )
        said = [o.detail for o in job.run(dry_run=True).outcomes]
    sandbox.log.clear()
    runs.until_converged(now_minus(0))

    assert said[0].startswith("would download export") and "again" in said[0]
    assert said[1] == "would deliver the downloaded archive"
    assert len(sandbox.log.find(method="GET", path=DOWNLOAD)) == 1
    runs.assert_converged(sandbox)
