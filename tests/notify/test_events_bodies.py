"""Event bodies (pure): `{"type", "timestamp", "data"}`, instants with offsets, bounded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from wazo_rec_tools.jobs import events as ev

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_export_delivered_body_has_what_a_receiver_needs():
    event = ev.export_delivered(
        AT,
        tenant=ev.tenant_data("u-1", "acme"),
        window=ev.window_data(
            datetime(2026, 11, 23, tzinfo=PARIS), datetime(2026, 11, 30, tzinfo=PARIS)
        ),
        recordings=3,
        size=1234,
        sha256="ab" * 32,
        locations=["file:///a/acme/2026/x.zip", "s3://b/acme/2026/x.zip"],
        manifests=["file:///a/acme/2026/x.zip.manifest.json", "s3://b/x.zip.manifest.json"],
    )

    body = json.loads(event.body())

    assert body == {
        "type": "export.delivered",
        "timestamp": "2026-12-01T09:00:00+00:00",
        "data": {
            "job": "export",
            "tenant": {"uuid": "u-1", "slug": "acme"},
            "window": {"from": "2026-11-23T00:00:00+01:00", "until": "2026-11-30T00:00:00+01:00"},
            "recordings": 3,
            "size": 1234,
            "sha256": "ab" * 32,
            "locations": ["file:///a/acme/2026/x.zip", "s3://b/acme/2026/x.zip"],
            "manifest": "file:///a/acme/2026/x.zip.manifest.json",
            "manifests": ["file:///a/acme/2026/x.zip.manifest.json", "s3://b/x.zip.manifest.json"],
        },
    }


def test_body_is_the_same_text_every_time_it_is_rendered():
    event = ev.job_failed(AT, job="export", started_at=AT, errors=["a", "b"], host="pbx")

    assert event.body() == event.body()
    assert json.loads(event.body())["data"]["error"] == "a"


def test_each_event_has_its_own_message_id():
    one = ev.job_failed(AT, job="sync", started_at=AT, errors=["x"], host="pbx")
    two = ev.job_failed(AT, job="sync", started_at=AT, errors=["x"], host="pbx")

    assert one.id != two.id
    assert one.id.startswith("msg_")


def test_a_huge_drift_is_cut_and_says_so():
    objects = [{"kind": "user", "name": f"u{i}"} for i in range(ev.MAX_OBJECTS + 5)]

    data = ev.policy_drift(AT, objects_in_scope=5000, counts={"users": 1005}, objects=objects).data

    assert data["drift"] == ev.MAX_OBJECTS + 5
    assert len(data["objects"]) == ev.MAX_OBJECTS
    assert data["objects_truncated"] is True


def test_mirror_and_audit_events_are_ready_for_their_jobs():
    tenant = ev.tenant_data("u-1", "acme")
    recording = {"uuid": "r-1", "cdr_id": 7}

    delivered = ev.mirror_delivered(
        AT, tenant=tenant, recording=recording, size=9, sha256="00", locations=["x"], sidecars=["y"]
    )
    failed = ev.mirror_failed(AT, tenant=tenant, recording=recording, error="boom", attempts=2)
    audit = ev.audit_failed(
        AT, tenant=tenant, window=ev.window_data(AT, AT), counts={"missing": 1}, calls=[{"id": 7}]
    )

    assert [e.type for e in (delivered, failed, audit)] == [
        "mirror.delivered",
        "mirror.failed",
        "audit.failed",
    ]


def test_an_unknown_type_or_a_naive_timestamp_is_a_bug():
    with pytest.raises(ValueError):
        ev.Event("export.done", AT, {})
    with pytest.raises(ValueError):
        ev.Event("job.failed", datetime(2026, 1, 1), {})


def test_the_same_window_delivered_is_announced_with_the_same_id():
    def announce() -> ev.Event:
        return ev.export_delivered(
            AT,
            tenant=ev.tenant_data("u-1", "acme"),
            window=ev.window_data(AT, AT.replace(day=8)),
            recordings=1,
            size=1,
            sha256="00",
            locations=[],
            manifests=[],
        )

    assert announce().id == announce().id
    assert announce().id.startswith("msg_")
