"""Fixtures shared by the whole suite: a fresh sandbox stack, a client, a config, the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support import connect
from wazo_rec_tools.cli import main
from wazo_rec_tools.sandbox import Sandbox, SeedSpec
from wazo_rec_tools.wazo.stack import Wazo


@pytest.fixture
def sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    """A started sandbox with the default small seed, stopped after the test."""
    sb = Sandbox(SeedSpec(), spool_dir=tmp_path_factory.mktemp("spool"), export_delay=0.05)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def wazo(sandbox) -> Iterator[Wazo]:
    """A `Wazo` logged in as the sandbox's master-tenant admin."""
    with connect(sandbox) as client:
        yield client


@pytest.fixture
def config_file(sandbox, tmp_path, monkeypatch) -> Path:
    """A config + password file (0600) pointing at the sandbox, with admin credentials."""
    monkeypatch.delenv("WAZO_REC_PASSWORD", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    password = tmp_path / "password"
    password.write_text(Sandbox.ADMIN_PASSWORD + "\n")
    password.chmod(0o600)
    path = tmp_path / "config.yml"
    path.write_text(
        f"stack:\n  url: {sandbox.url}\n  timeout: 5\n"
        f"auth:\n  username: {Sandbox.ADMIN_USERNAME}\n  password_file: {password}\n"
        f"  refresh_token_file: {tmp_path / 'refresh-token'}\n"
        f"policy: {tmp_path / 'policy.yml'}\n"
        f"export:\n  state_dir: {tmp_path / 'state'}\n"
        f"  timezone: Europe/Paris\n"
        f"  destinations: [file://{tmp_path / 'archives'}]\n"
    )
    return path


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(config_file):
    """Run `wazo-rec -c <config_file> ARGS...`; returns exit code, stdout, stderr."""

    def run(*args: str, input: str | None = None, config: Path | None = config_file) -> CliResult:
        runner = CliRunner()
        argv = (["-c", str(config)] if config is not None else []) + list(args)
        result = runner.invoke(main, argv, input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
