"""`next_step`: the export's decisions for one journal row, as a pure function."""

from __future__ import annotations

import pytest

from wazo_rec_tools.export.journal import Entry
from wazo_rec_tools.export.steps import Step, describe, next_step


def row(status: str, **values) -> Entry:
    base = {
        "tenant_uuid": "t",
        "tenant_slug": "acme",
        "window_from": "2026-03-23T00:00:00+01:00",
        "window_until": "2026-03-30T00:00:00+02:00",
        "kind": "weekly",
        "status": status,
        "export_uuid": "e1",
        "attempts": 1,
    }
    return Entry(**(base | values))


@pytest.mark.parametrize(
    ("entry", "intact", "step"),
    [
        (None, False, Step.LAUNCH),
        (row("planned", export_uuid=None, attempts=0), False, Step.LAUNCH),
        (row("launched"), False, Step.WAIT),
        (row("ready"), False, Step.DOWNLOAD),
        (row("downloaded", archive_path="/s/a.zip"), True, Step.DELIVER),
        (row("downloaded", archive_path="/s/a.zip"), False, Step.DOWNLOAD),
        (row("failed", archive_path="/s/a.zip"), True, Step.DELIVER),
        (row("failed", archive_path="/s/a.zip"), False, Step.DOWNLOAD),
        (row("failed"), False, Step.LAUNCH),
        (row("failed", attempts=3), False, Step.GIVE_UP),
        (row("delivered"), False, Step.DONE),
        (row("empty"), False, Step.DONE),
        (row("skipped"), False, Step.DONE),
    ],
)
def test_next_step_follows_the_journal_row(entry, intact, step):
    assert next_step(entry, spool_intact=intact, max_attempts=3) is step


def test_a_window_asked_for_explicitly_is_launched_whatever_its_failures():
    assert next_step(row("failed", attempts=9), spool_intact=False, max_attempts=None) is (
        Step.LAUNCH
    )


def test_a_corrupt_spooled_archive_is_described_as_downloaded_again():
    entry = row("downloaded", archive_path="/s/a.zip")

    assert "again" in describe(Step.DOWNLOAD, entry)
    assert "sha256" in describe(Step.DOWNLOAD, entry)


def test_a_window_given_up_by_the_timer_says_how_to_retry_or_skip_it():
    text = describe(Step.GIVE_UP, row("failed", attempts=3, last_error="boom"))

    assert "wazo-rec export run --tenant acme --from" in text
    assert "wazo-rec export skip --tenant acme --until 2026-03-30T00:00:00+02:00" in text
