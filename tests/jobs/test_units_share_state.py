"""The units that share the state directory and its locks."""

from __future__ import annotations

from pathlib import Path

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def unit_settings(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_export_and_sync_units_share_one_transient_user_and_state_directory():
    export = unit_settings("wazo-rec-export.service")
    sync = unit_settings("wazo-rec-sync.service")

    for unit in (export, sync):
        assert unit["DynamicUser"] == ["yes"]
        assert unit["StateDirectory"] == ["wazo-rec-tools"]
    assert export["User"] == sync["User"] == ["wazo-rec-tools"]
