"""Fixtures of the mirror tests: a config with a mirror section, the journal, new CDRs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import add_recorded_call


@pytest.fixture
def state_dir(config_file) -> Path:
    return config_file.parent / "state"


@pytest.fixture
def mirror_dir(tmp_path) -> Path:
    return tmp_path / "mirrored"


@pytest.fixture
def mirror_config(config_file, mirror_dir) -> Callable[..., Path]:
    """Append a `mirror:` section to the sandbox config; returns the config path."""

    def write(**options: Any) -> Path:
        settings = {"destinations": [f"file://{mirror_dir}"], "lag": "2m", **options}
        lines = ["mirror:"]
        for key, value in settings.items():
            if isinstance(value, list):
                value = "[" + ", ".join(str(v) for v in value) + "]"
            elif isinstance(value, bool):
                value = "true" if value else "false"
            lines.append(f"  {key}: {value}")
        text = config_file.read_text().split("mirror:")[0]
        config_file.write_text(text + "\n".join(lines) + "\n")
        return config_file

    write()
    return write


@pytest.fixture
def mirror_rows(state_dir) -> Callable[[], list[dict]]:
    def read() -> list[dict]:
        conn = sqlite3.connect(state_dir / "journal.sqlite3")
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute("SELECT * FROM mirror_recordings")]
        finally:
            conn.close()

    return read


@pytest.fixture
def time_passes(state_dir) -> Callable[[], None]:
    """Every backoff delay of the journal is over."""

    def expire() -> None:
        conn = sqlite3.connect(state_dir / "journal.sqlite3")
        with conn:
            conn.execute(
                "UPDATE mirror_recordings SET next_attempt_at='2000-01-01T00:00:00+00:00' "
                "WHERE next_attempt_at IS NOT NULL"
            )
        conn.close()

    return expire


@pytest.fixture
def status_json(run_cli) -> Callable[[], dict[str, dict]]:
    """`mirror status --output json`, by tenant slug."""

    def read() -> dict[str, dict]:
        result = run_cli("mirror", "status", "--output", "json")
        assert result.exit_code == 0, result.stderr
        return {t["tenant"]["slug"]: t for t in json.loads(result.stdout)["tenants"]}

    return read


@pytest.fixture
def add_call(sandbox) -> Callable[..., dict]:
    """Write a new recorded CDR into the sandbox, as call-logd would after the call ends."""

    def add(**options: Any) -> dict:
        return add_recorded_call(sandbox, **options)

    return add
