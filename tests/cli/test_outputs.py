"""Machine-readable output of validate and export run, and what demo leaves behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from wazo_rec_tools.sandbox import Sandbox


def test_validate_output_json_reports_validity_and_each_error(run_cli, tmp_path):
    good = tmp_path / "good.yml"
    good.write_text("version: 1\ntenants: []\n")
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\ntenants: []\nbogus: 1\n")

    ok = run_cli("validate", str(good), "--output", "json")
    refused = run_cli("validate", str(bad), "--output", "json")

    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout) | {"warnings": []} == {
        "policy": str(good),
        "valid": True,
        "errors": [],
        "warnings": [],
        "tenants": 0,
    }
    assert refused.exit_code == 1
    report = json.loads(refused.stdout)
    assert report["valid"] is False
    (error,) = report["errors"]
    assert error.startswith(f"{bad}:3:1:")


def test_export_run_output_json_carries_each_windows_facts(run_cli):
    result = run_cli("export", "run", "--tenant", "acme", "--output", "json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["left_due"] == []
    assert len(report["windows"]) == 4
    for window in report["windows"]:
        assert window["status"] == "delivered"
        assert window["tenant"]["slug"] == "acme"
        assert window["window"]["from"].endswith(("+01:00", "+02:00"))
        (location,) = window["locations"]
        (manifest,) = window["manifests"]
        assert manifest == location + ".manifest.json"
        assert window["sha256"] and window["size"] and window["recordings"]


def test_demo_removes_its_folder_with_the_sandbox_password(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONUNBUFFERED="1")
    env.pop("WAZO_REC_CONFIG", None)

    proc = subprocess.run(
        [sys.executable, "-m", "wazo_rec_tools", "demo", "--users", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "demo files in" in proc.stdout
    assert list(tmp_path.glob("wazo-rec-demo-*")) == []
    assert Sandbox.ADMIN_PASSWORD not in proc.stdout
