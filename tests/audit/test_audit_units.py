"""systemd/wazo-rec-audit.{service,timer}, checked with the host's systemd-analyze, as the
export's and the sync's units are (tests/export/test_systemd_units.py)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.export.test_systemd_units import (
    INSTALLED_BINARY,
    MAX_EXPOSURE,
    UNITS,
    analyze,
    console_script,
    settings,
)

SERVICE, TIMER = "wazo-rec-audit.service", "wazo-rec-audit.timer"


@pytest.fixture
def units_for_verify(tmp_path):
    """Copies of every unit, ExecStart's /usr/bin/wazo-rec replaced by the console script."""
    for unit in UNITS.iterdir():
        text = unit.read_text()
        (tmp_path / unit.name).write_text(text.replace(INSTALLED_BINARY, str(console_script())))
    return tmp_path


def test_audit_timer_runs_weekly_on_monday_after_the_export():
    audit = settings(TIMER)["OnCalendar"][0]
    export = settings("wazo-rec-export.timer")["OnCalendar"][0]
    export_delay = settings("wazo-rec-export.timer")["RandomizedDelaySec"][0]

    clock = re.fullmatch(r"Mon \*-\*-\* (\d\d:\d\d:\d\d)", audit).group(1)
    export_clock = re.fullmatch(r"Mon \*-\*-\* (\d\d:\d\d:\d\d)", export).group(1)
    gap = datetime.strptime(clock, "%H:%M:%S") - datetime.strptime(export_clock, "%H:%M:%S")
    assert gap.total_seconds() > int(export_delay.removesuffix("min")) * 60
    assert settings(TIMER)["Persistent"] == ["true"]
    assert settings(TIMER)["WantedBy"] == ["timers.target"]


def test_audit_service_is_a_oneshot_of_last_week_that_fails_on_findings():
    unit = settings(SERVICE)

    assert unit["Type"] == ["oneshot"]
    assert unit["ExecStart"] == [f"{INSTALLED_BINARY} audit --last-week --detailed-exitcode"]
    assert "SuccessExitStatus" not in unit  # exit 2 (findings) leaves the unit failed
    assert "wazo-rec-export.service" in unit["After"][0].split()


def test_audit_service_writes_only_the_shared_state_directory_and_is_loopback_only():
    unit = settings(SERVICE)

    assert unit["ProtectSystem"] == ["strict"]
    # the lock, and the outbox and figures when hooks are configured: nothing else
    assert unit["StateDirectory"] == ["wazo-rec-tools"]
    assert not {"ReadWritePaths", "CacheDirectory", "LogsDirectory"} & set(unit)
    assert (unit["IPAddressDeny"], unit["IPAddressAllow"]) == (["any"], ["localhost"])
    assert unit["LoadCredential"] == ["password:/etc/wazo-rec-tools/password"]
    assert all("password" not in value.lower() for value in unit.get("Environment", []))


def test_audit_service_security_exposure_is_at_most_1_5():
    result = analyze("security", "--offline=yes", str(UNITS / SERVICE))

    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE, result.stdout


def test_audit_units_verify_without_any_message(units_for_verify):
    paths = [str(units_for_verify / name) for name in (SERVICE, TIMER)]

    result = analyze("verify", *paths, cwd=units_for_verify)

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_only_line_changed_for_verify_is_the_executable_path(units_for_verify):
    for name in (SERVICE, TIMER):
        shipped = (UNITS / name).read_text().splitlines()
        verified = (units_for_verify / name).read_text().splitlines()
        changed = [a for a, b in zip(shipped, verified, strict=True) if a != b]
        assert all(line.startswith(f"ExecStart={INSTALLED_BINARY} ") for line in changed)
