"""The run lock when its file belongs to someone else, and the units that share it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wazo_rec_tools.jobs.lock import JobLock, RunLocked

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def unit_settings(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_lock_file_left_read_only_by_another_user_still_locks(tmp_path, monkeypatch):
    JobLock(tmp_path, "sync").acquire().release()  # the file exists, as after a root run
    real_open = os.open

    def no_write(path, flags, *args):
        if str(path).endswith("sync.lock") and flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", no_write)

    with JobLock(tmp_path, "sync", "apply"), pytest.raises(RunLocked, match="another apply"):
        JobLock(tmp_path, "sync", "apply").acquire()


def test_export_and_sync_units_share_one_transient_user_and_state_directory():
    export = unit_settings("wazo-rec-export.service")
    sync = unit_settings("wazo-rec-sync.service")

    for unit in (export, sync):
        assert unit["DynamicUser"] == ["yes"]
        assert unit["StateDirectory"] == ["wazo-rec-tools"]
    assert export["User"] == sync["User"] == ["wazo-rec-tools"]
