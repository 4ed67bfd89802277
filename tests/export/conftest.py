"""Fixtures of the export tests: state and archive folders, `export status` JSON, a CLI child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def state_dir(config_file) -> Path:
    return config_file.parent / "state"


@pytest.fixture
def archives(config_file) -> Path:
    return config_file.parent / "archives"


@pytest.fixture
def status_json(run_cli) -> Callable[[], list[dict]]:
    def read() -> list[dict]:
        result = run_cli("export", "status", "--output", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["windows"]

    return read


@pytest.fixture
def cli_process(config_file) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `python -m wazo_rec_tools.cli -c <config> ARGS` (or another script) in a child
    process; every child still running at the end is killed."""
    children: list[subprocess.Popen] = []

    def start(*args: str, script: str | None = None) -> subprocess.Popen:
        entry = ["-c", script] if script else ["-m", "wazo_rec_tools.cli"]
        proc = subprocess.Popen(
            [sys.executable, *entry, "-c", str(config_file), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        children.append(proc)
        return proc

    yield start
    for proc in children:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
