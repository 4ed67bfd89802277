"""`wazo-rec demo`: the sandbox stack, then plan → apply → plan and a weekly export against it."""

from __future__ import annotations

import contextlib
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from .. import durable
from ..sandbox import Sandbox, SeedSpec
from . import main
from .sandbox import write_client_files

DEMO_POLICY = """\
version: 1
features:
  callrecord: {enabled: false}
  togglerecord: {exten: "*3"}
tenants:
  - tenant: acme
    users:
      defaults:
        call_record_incoming_external_enabled: true
        call_record_outgoing_external_enabled: false
      rules:
        - match: {groups: [Sales]}
          set: {call_record_outgoing_external_enabled: true, online_call_record_enabled: true}
    groups:
      items: {Sales: {dtmf_record_toggle: true}}
    queues:
      defaults: {dtmf_record_toggle: false}
      items: {support: {dtmf_record_toggle: true}}
    retention: {recording_days: 90}
safety:
  max_change_percent: 100
"""


def _step(config: Path, *args: str, expect: tuple[int, ...] = (0,)) -> int:
    shown = "wazo-rec " + " ".join(shlex.quote(a) for a in args)
    click.secho(f"\n$ {shown}", bold=True)
    rc = subprocess.call([sys.executable, "-m", "wazo_rec_tools", "-c", str(config), *args])
    if rc not in expect:
        raise click.ClickException(f"`{shown}` exited {rc}")
    return rc


@main.command()
@click.option("--users", type=click.IntRange(1, 100_000), default=40, show_default=True)
@click.option(
    "--keep", is_flag=True, help="Leave the sandbox running at the end (Ctrl-C stops it)."
)
def demo(users: int, keep: bool) -> None:
    """Start the sandbox and show status, plan → apply → plan, and an export, against it.

    Its files (config, password, tokens, archives) live in a temporary folder removed at
    the end, unless --keep.
    """
    workdir = Path(tempfile.mkdtemp(prefix="wazo-rec-demo-"))
    try:
        _run_demo(workdir, users, keep)
    finally:
        # the folder holds the sandbox's admin password and a refresh token
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _run_demo(workdir: Path, users: int, keep: bool) -> None:
    with Sandbox(SeedSpec(users=users), port=0, export_delay=0.3) as stack:
        config = write_client_files(stack, workdir)
        durable.replace(workdir / "policy.yml", DEMO_POLICY.encode(), 0o644)
        click.echo(f"Sandbox Wazo stack on {stack.url}; demo files in {workdir}")
        _step(config, "status")
        _step(config, "validate")
        _step(config, "plan")
        _step(config, "apply", "--yes")
        _step(config, "plan", "--detailed-exitcode")
        _step(config, "export", "setup")
        _step(config, "export", "run")
        _step(config, "export", "status")
        archives = sorted(p for p in (workdir / "archives").rglob("*") if p.is_file())
        click.secho("\nDelivered archives:", bold=True)
        for path in archives:
            click.echo(f"  {path}  ({path.stat().st_size} bytes)")
        _step(config, "recordings", "list", "--tenant", "acme", "--output", "text", expect=(0,))
        if keep:
            click.echo(
                f"\nSandbox still running on {stack.url}; config {config}. Ctrl-C stops it; "
                f"{workdir} (the sandbox's password and tokens) stays: remove it when done."
            )
            with contextlib.suppress(KeyboardInterrupt, click.Abort):
                click.pause("")
