"""`mirror run` in the job shell: a signed `mirror.delivered` per recording, `mirror.failed`,
the metrics, and a ping per run (real HTTP receiver)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from notify_receiver import SECRET, verify

from tests.support import add_recorded_call


def mirror_section(config_file: Path, target: Path) -> None:
    config_file.write_text(
        config_file.read_text() + f"mirror:\n  destinations: [file://{target}]\n  lag: 1m\n"
    )


def test_each_mirrored_recording_is_announced_once_with_its_locations(
    run_cli, webhook, receiver, sandbox, tmp_path, config_file
):
    target = tmp_path / "mirrored"
    mirror_section(config_file, target)
    cdr = add_recorded_call(sandbox, recordings=2)

    assert run_cli("mirror", "run").exit_code == 0
    events = [verify(SECRET, r) for r in receiver.at("/hook")]
    delivered = {
        e["data"]["recording"]["uuid"]: e for e in events if e["type"] == "mirror.delivered"
    }
    for rec in cdr["recordings"]:
        data = delivered[rec["uuid"]]["data"]
        assert data["tenant"]["slug"] == "acme" and data["recording"]["cdr_id"] == cdr["id"]
        (location,) = data["locations"]
        body = Path(location.removeprefix("file://")).read_bytes()
        assert hashlib.sha256(body).hexdigest() == data["sha256"]
        assert data["sidecars"] == [location.removesuffix(".wav") + ".json"]
    assert [r.path for r in receiver.at("/ping/abc")] == ["/ping/abc/start", "/ping/abc"]

    before = len(receiver.at("/hook"))
    assert run_cli("mirror", "run").exit_code == 0
    later = [verify(SECRET, r) for r in receiver.at("/hook")[before:]]
    assert not [e for e in later if e["type"] == "mirror.delivered"]


def test_a_recording_that_cannot_be_delivered_is_a_mirror_failed_event_and_a_failed_run(
    run_cli, webhook, receiver, sandbox, tmp_path, config_file
):
    target = tmp_path / "mirrored"
    target.write_text("not a folder")
    mirror_section(config_file, target)
    cdr = add_recorded_call(sandbox)

    result = run_cli("mirror", "run")

    assert result.exit_code == 1
    events = [verify(SECRET, r) for r in receiver.at("/hook")]
    failed = [e for e in events if e["type"] == "mirror.failed"]
    assert cdr["recordings"][0]["uuid"] in {e["data"]["recording"]["uuid"] for e in failed}
    assert all(e["data"]["attempts"] >= 1 and e["data"]["error"] for e in failed)
    assert [e for e in events if e["type"] == "job.failed"]


def test_mirror_metrics_are_written(run_cli, with_notify, sandbox, tmp_path, config_file):
    from prometheus_client.parser import text_string_to_metric_families

    target = tmp_path / "mirrored"
    prom = tmp_path / "wazo-rec.prom"
    mirror_section(config_file, target)
    with_notify(f"metrics: {prom}\n")
    add_recorded_call(sandbox)

    assert run_cli("mirror", "run").exit_code == 0

    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    delivered = families["wazo_rec_mirror_recordings_delivered"]
    assert sum(s.value for s in delivered.samples if s.name.endswith("_total")) >= 1
    assert "wazo_rec_mirror_recordings_given_up" in families
