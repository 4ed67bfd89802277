"""The pure parts of the mirror: object keys, sidecars, backoff, its config section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from wazo_rec_tools.config import load_config
from wazo_rec_tools.errors import InputErrors
from wazo_rec_tools.mirror.job import retry_at
from wazo_rec_tools.mirror.layout import object_key, recordings_of, sidecar_key


def test_key_uses_the_recording_start_in_utc_and_its_utc_date():
    start = datetime(2026, 12, 1, 0, 30, 5, tzinfo=ZoneInfo("Europe/Paris"))
    key = object_key("acme", 42, "6d0c5f4e-0000-4000-8000-000000000001", start)
    assert key == "acme/2026/11/30/20261130T233005Z_42_6d0c5f4e-0000-4000-8000-000000000001.wav"
    assert sidecar_key(key).endswith("_42_6d0c5f4e-0000-4000-8000-000000000001.json")


def test_every_recording_of_a_cdr_is_found_with_its_deleted_flag():
    cdr = {
        "id": 7,
        "call_direction": "inbound",
        "end": "2026-12-01T10:05:00+00:00",
        "recordings": [
            {
                "uuid": "a",
                "start_time": "2026-12-01T10:00:00+00:00",
                "end_time": "2026-12-01T10:05:00+00:00",
                "deleted": False,
                "filename": "x.wav",
            },
            {"uuid": "b", "start_time": "2026-12-01T10:01:00+01:00", "deleted": True},
        ],
    }
    found = recordings_of(cdr)
    assert [(f.recording_uuid, f.deleted) for f in found] == [("a", False), ("b", True)]
    assert found[1].start_time == datetime(2026, 12, 1, 9, 1, tzinfo=UTC)
    assert found[0].cdr["call_direction"] == "inbound"


def test_backoff_doubles_and_is_capped():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert retry_at(now, 0) - now == timedelta(minutes=1)
    assert retry_at(now, 3) - now == timedelta(minutes=8)
    assert retry_at(now, 30) - now == timedelta(hours=6)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("  lag: soon", "expected a duration such as 90s, 2m, 6h or 7d"),
        ("  start: 2026-12-01T00:00:00", "has no UTC offset"),
        ("  concurrency: 0", "concurrency"),
        ("  delete_after_delivery: yes", "delete_after_delivery"),
        ("  destination: [file:///x]", "destination"),
    ],
)
def test_mirror_config_errors_are_located(tmp_path, line, message):
    path = tmp_path / "config.yml"
    path.write_text(f"mirror:\n{line}\n")
    with pytest.raises(InputErrors) as caught:
        load_config(path)
    problems = "\n".join(caught.value.problems)
    assert f"{path}:2:" in problems and message in problems


def test_mirror_config_defaults_and_durations(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("mirror:\n  lag: 90s\n  keep_on_stack: 30d\n")
    mirror = load_config(path).mirror
    assert mirror.lag == timedelta(seconds=90)
    assert mirror.keep_on_stack == timedelta(days=30)
    assert mirror.delete_after_delivery is False and mirror.destinations == []


def test_destinations_check_probes_the_mirror_destinations_too(mirror_config, run_cli, mirror_dir):
    mirror_dir.mkdir(parents=True)
    result = run_cli("destinations", "check")
    assert result.exit_code == 0, result.stderr
    assert f"file://{mirror_dir}: ok" in result.stdout.splitlines()
