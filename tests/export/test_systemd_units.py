"""The unit files in systemd/, checked with the host's systemd-analyze.

`systemd-analyze verify` insists that ExecStart= names an existing executable. The units say
/usr/bin/wazo-rec (where the Debian package puts it), which does not exist on a development
host, so the verify test runs on copies whose ExecStart points at this checkout's console
script instead; every other line is verified as shipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
SERVICES = ["wazo-rec-export.service", "wazo-rec-sync.service", "wazo-rec-mirror.service"]
TIMERS = ["wazo-rec-export.timer", "wazo-rec-sync.timer", "wazo-rec-mirror.timer"]
INSTALLED_BINARY = "/usr/bin/wazo-rec"
MAX_EXPOSURE = 1.5


def analyze(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    tool = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    return subprocess.run([tool, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def settings(name: str) -> dict[str, list[str]]:
    """`Key=value` lines of a unit, every value of a repeated key kept in order."""
    found: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def console_script() -> Path:
    script = Path(sys.executable).parent / "wazo-rec"
    assert script.exists(), f"{script} missing: install the package (pip install -e .)"
    return script


@pytest.fixture
def units_for_verify(tmp_path) -> Path:
    """Copies of the units, ExecStart's /usr/bin/wazo-rec replaced by the console script."""
    for unit in UNITS.iterdir():
        text = unit.read_text()
        (tmp_path / unit.name).write_text(text.replace(INSTALLED_BINARY, str(console_script())))
    return tmp_path


def test_export_timer_runs_on_monday_at_0122_persistent_with_a_random_delay():
    timer = settings("wazo-rec-export.timer")

    assert timer["OnCalendar"] == ["Mon *-*-* 01:22:00"]
    assert timer["Persistent"] == ["true"]
    assert "RandomizedDelaySec" in timer
    assert timer["WantedBy"] == ["timers.target"]


def test_sync_timer_runs_daily():
    timer = settings("wazo-rec-sync.timer")

    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["OnCalendar"][0])
    assert timer["Persistent"] == ["true"]


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("wazo-rec-export.service", f"{INSTALLED_BINARY} export run"),
        ("wazo-rec-sync.service", f"{INSTALLED_BINARY} apply --yes"),
    ],
)
def test_services_are_oneshot_runs_of_the_installed_command(service, command):
    unit = settings(service)

    assert unit["Type"] == ["oneshot"]
    assert unit["ExecStart"] == [command]
    assert "TimeoutStartSec" in unit


def test_export_service_gets_the_refresh_token_as_a_credential_and_keeps_state():
    unit = settings("wazo-rec-export.service")

    assert unit["LoadCredential"] == ["refresh-token:/etc/wazo-rec-tools/refresh-token"]
    assert unit["StateDirectory"] == ["wazo-rec-tools"]
    assert all("token" not in value for value in unit.get("Environment", []))


@pytest.mark.parametrize("service", SERVICES)
def test_service_security_exposure_is_at_most_1_5(service):
    result = analyze("security", "--offline=yes", str(UNITS / service))

    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE, result.stdout


def test_units_verify_without_any_message(units_for_verify):
    paths = [str(units_for_verify / name) for name in SERVICES + TIMERS]

    result = analyze("verify", *paths, cwd=units_for_verify)

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_only_line_changed_for_verify_is_the_executable_path(units_for_verify):
    for name in SERVICES + TIMERS:
        shipped = (UNITS / name).read_text().splitlines()
        verified = (units_for_verify / name).read_text().splitlines()
        changed = [a for a, b in zip(shipped, verified, strict=True) if a != b]
        assert all(line.startswith(f"ExecStart={INSTALLED_BINARY} ") for line in changed)
