"""The outbox: an event stays until its receiver took it, in order, with the same id and body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wazo_rec_tools.jobs import events as ev
from wazo_rec_tools.jobs.outbox import KEEP_DELIVERED, Outbox
from wazo_rec_tools.jobs.state import open_state

AT = datetime(2026, 12, 1, tzinfo=UTC)


def event(n: int) -> ev.Event:
    return ev.job_failed(AT, job="export", started_at=AT, errors=[f"e{n}"], host="h")


def test_failed_event_stays_with_its_body_and_counts_its_attempts(tmp_path):
    outbox = Outbox(open_state(tmp_path))
    first, second = event(1), event(2)
    outbox.add(first, ["a", "b"], AT)
    outbox.add(second, ["a"], AT + timedelta(seconds=1))

    (head, _) = outbox.pending("a")
    outbox.failed(head, "HTTP 500", AT)
    again = outbox.pending("a")

    assert [p.id for p in again] == [first.id, second.id]
    assert (again[0].attempts, again[0].last_error, again[0].body) == (1, "HTTP 500", first.body())
    assert outbox.counts() == {"a": 2, "b": 1}


def test_delivered_event_is_no_longer_pending_for_that_hook_only(tmp_path):
    outbox = Outbox(open_state(tmp_path))
    one = event(1)
    outbox.add(one, ["a", "b"], AT)

    outbox.delivered(outbox.pending("a")[0], AT)

    assert outbox.pending("a") == []
    assert [p.id for p in outbox.pending("b")] == [one.id]


def test_the_same_event_is_never_queued_twice(tmp_path):
    outbox = Outbox(open_state(tmp_path))
    one = event(1)

    outbox.add(one, ["a"], AT)
    outbox.add(one, ["a"], AT)

    assert len(outbox.pending("a")) == 1


def test_prune_drops_old_delivered_rows_and_old_events_of_removed_hooks(tmp_path):
    outbox = Outbox(open_state(tmp_path))
    old, kept, orphan = event(1), event(2), event(3)
    outbox.add(old, ["a"], AT)
    outbox.delivered(outbox.pending("a")[0], AT)
    outbox.add(kept, ["a"], AT)
    outbox.add(orphan, ["gone"], AT)

    outbox.prune(AT + KEEP_DELIVERED + timedelta(days=1), ["a"])

    assert [p.id for p in outbox.pending("a")] == [kept.id]
    assert outbox.counts() == {"a": 1}
