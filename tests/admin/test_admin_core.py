"""The pure parts of the admin commands: recording rows, deletion batches, retention merge."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from wazo_rec_tools.admin import deletion
from wazo_rec_tools.admin.recordings import pick_recordings, rows_of_cdr, safe_filename
from wazo_rec_tools.admin.retention import Retention, merge
from wazo_rec_tools.errors import UserError

PARIS = ZoneInfo("Europe/Paris")


def _cdr(cdr_id: int, tenant: str = "t1", recordings: int = 1, deleted: bool = False) -> dict:
    return {
        "id": cdr_id,
        "tenant_uuid": tenant,
        "start": "2024-07-01T06:00:00+00:00",
        "call_direction": "inbound",
        "source_name": "Jane Roe",
        "source_extension": "+14185550000",
        "destination_name": "Alice",
        "destination_extension": "1001",
        "duration": 65,
        "recordings": [
            {
                "uuid": f"rec-{cdr_id}-{n}",
                "deleted": deleted,
                "filename": f"2024-07-01T06_00_00UTC-{cdr_id}-rec-{cdr_id}-{n}.wav",
            }
            for n in range(recordings)
        ],
    }


def _rows(*cdrs: dict):
    return [row for cdr in cdrs for row in rows_of_cdr(cdr, PARIS)]


def test_one_row_per_recording_with_start_in_the_local_zone():
    rows = rows_of_cdr(_cdr(7, recordings=2), PARIS)
    assert [r.recording_uuid for r in rows] == ["rec-7-0", "rec-7-1"]
    assert rows[0].start.isoformat() == "2024-07-01T08:00:00+02:00"
    assert rows[0].as_json()["start"] == "2024-07-01T08:00:00+02:00"


def test_a_server_file_name_never_leaves_the_directory():
    assert safe_filename("../../etc/passwd", 3, "u") == "passwd"
    assert safe_filename("..", 3, "u") == "3-u.wav"
    assert safe_filename(None, 3, "u") == "3-u.wav"


def test_picking_an_unknown_recording_lists_the_known_ones():
    with pytest.raises(UserError, match=r"has no recording nope \(it has: rec-7-0\)"):
        pick_recordings(_rows(_cdr(7)), 7, "nope")


def test_deletion_batches_hold_one_tenant_and_at_most_batch_size_cdrs():
    rows = _rows(*[_cdr(i, "t1") for i in range(1, 6)], *[_cdr(i, "t2") for i in range(6, 9)])
    plan = deletion.plan_deletion(rows, batch_size=2)
    assert [(b.tenant_uuid, b.cdr_ids) for b in plan.batches] == [
        ("t1", [1, 2]),
        ("t1", [3, 4]),
        ("t1", [5]),
        ("t2", [6, 7]),
        ("t2", [8]),
    ]
    assert [b.index for b in plan.batches] == [1, 2, 3, 4, 5]


def test_deletion_leaves_out_recordings_already_deleted():
    plan = deletion.plan_deletion(_rows(_cdr(1, deleted=True), _cdr(2, recordings=2)), 100)
    assert [b.cdr_ids for b in plan.batches] == [[2]]
    assert plan.batches[0].recordings == 2
    assert len(plan.rows) == 2


def _retention(**values) -> Retention:
    body = {"tenant_uuid": "t1", "default_cdr_days": 365, "default_recording_days": 365}
    body |= {"default_export_days": 2, **values}
    return Retention.from_api(body)


def test_retention_merge_keeps_the_keys_not_given():
    change = merge(_retention(cdr_days=400, recording_days=30, export_days=5), {"export_days": 7})
    assert change.after == {"cdr_days": 400, "recording_days": 30, "export_days": 7}
    assert change.changed == {"export_days": (5, 7)}


def test_retention_merge_keeps_unset_keys_unset():
    change = merge(
        _retention(cdr_days=None, recording_days=None, export_days=None), {"cdr_days": 400}
    )
    assert change.after == {"cdr_days": 400, "recording_days": None, "export_days": None}


def test_retention_merge_refuses_recordings_outliving_cdrs():
    with pytest.raises(UserError, match="recording_days 100 must not exceed cdr_days 90"):
        merge(
            _retention(cdr_days=None, recording_days=None), {"cdr_days": 90, "recording_days": 100}
        )


def test_retention_merge_counts_an_unset_key_at_its_default():
    with pytest.raises(UserError, match=r"recording_days 365 \(the default\) must not exceed"):
        merge(_retention(cdr_days=None, recording_days=None), {"cdr_days": 90})


def test_retention_merge_with_the_same_values_changes_nothing():
    current = _retention(cdr_days=90, recording_days=30, export_days=2)
    assert merge(current, {"cdr_days": 90, "export_days": 2}).changed == {}
