"""`wazo-rec sandbox`: the embedded emulated Wazo stack, standalone."""

from __future__ import annotations

import contextlib
import signal
import tempfile
import threading
from pathlib import Path

import click

from .. import durable
from ..sandbox import DEFAULT_BASE_PORT, LAYOUTS, Costs, Sandbox, SeedSpec
from ..sandbox.tls import generate as generate_tls
from ..sandbox.tour import TOUR_POLICY
from . import main


def write_password_file(directory: Path) -> Path:
    """The seeded users' password, in a 0600 file."""
    directory.mkdir(parents=True, exist_ok=True)
    password = directory / "password"
    durable.replace(password, (Sandbox.ADMIN_PASSWORD + "\n").encode(), 0o600)
    return password


def write_client_files(sandbox: Sandbox, directory: Path) -> Path:
    """A config (and its 0600 password file) that points the tool at `sandbox`, and the
    tour's policy (`policy.example.yml`, whose names the sandbox has) unless one is there."""
    write_password_file(directory)
    with contextlib.suppress(FileExistsError):  # a policy already there is the user's
        durable.write_new(directory / "policy.yml", TOUR_POLICY.encode(), 0o644)
    config = directory / "config.yml"
    text = (
        "# Points wazo-rec-tools at a local sandbox stack.\n"
        f"stack:\n  url: {sandbox.url}\n"
        + (f"  verify_certificate: {sandbox.tls.ca}\n" if sandbox.tls else "")
        + f"auth:\n  username: {Sandbox.ADMIN_USERNAME}\n  password_file: password\n"
        "  refresh_token_file: refresh-token\n"
        "policy: policy.yml\n"
        "export:\n  state_dir: state\n  destinations: [file://"
        + str(directory / "archives")
        + "]\n"
        "mirror:\n  destinations: [file://" + str(directory / "mirror") + "]\n"
    )
    durable.replace(config, text.encode(), 0o644)
    return config


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8497,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--users",
    type=click.IntRange(0, 1_000_000),
    default=40,
    show_default=True,
    help="Users in all, spread over the tenants.",
)
@click.option("--tenants", type=click.IntRange(1, 100), default=2, show_default=True)
@click.option(
    "--latency", type=click.FloatRange(0, 10), default=0.0, help="Seconds added to every request."
)
@click.option(
    "--realistic-costs",
    "costs_scale",
    type=click.FloatRange(min=0, min_open=True, max=100),
    is_flag=False,
    flag_value=1.0,
    default=None,
    metavar="[SCALE]",
    help="Cost what the real confd costs: list loading and dumping per user, one core, "
    "~41 ms per PUT; SCALE multiplies it (0.1: ten times faster) [flag value: 1].",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the client config [default: a temporary folder].",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="nginx",
    show_default=True,
    help="nginx: one port, /api/<daemon>/<version>, as a stack serves on 443. "
    "direct: each daemon on its own port and prefix, as on the stack host (for scripts "
    "written with the official wazo-*-client libraries).",
)
@click.option(
    "--base-port",
    type=click.IntRange(0, 65535 - 497),
    default=DEFAULT_BASE_PORT,
    show_default=True,
    help="direct layout: each daemon on BASE + (its real port - 9000); 9000 gives 9497 auth, "
    "9486 confd, 9298 call-logd, 9500 calld; 0 gives each a free port.",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve HTTPS with a certificate for 127.0.0.1/localhost signed by a CA made on the spot.",
)
def sandbox(
    port: int,
    users: int,
    tenants: int,
    latency: float,
    costs_scale: float | None,
    directory: Path | None,
    layout: str,
    base_port: int,
    tls: bool,
) -> None:
    """Run the embedded emulated Wazo stack until interrupted.

    Prints a config that points wazo-rec at it (admin root, password in a 0600 file); with
    `--layout direct`, each daemon's URL instead. With --tls, the config pins the generated
    CA in stack.verify_certificate.
    """
    directory = directory or Path(tempfile.mkdtemp(prefix="wazo-rec-sandbox-"))
    costs = Costs(scale=costs_scale or 0.0)
    files = generate_tls(directory / "tls") if tls else None
    stack = Sandbox(
        SeedSpec(users=users, tenants=tenants),
        port=port,
        latency=latency,
        costs=costs,
        layout=layout,
        base_port=base_port,
        tls=files,
    )
    try:
        stack.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1: {exc.strerror}") from None
    try:
        costed = f", confd costs x{costs_scale:g}" if costs_scale else ""
        if layout == "direct":
            seeded = f"{users} users, {tenants} tenants{costed}"
            _show_direct(stack, write_password_file(directory), seeded)
            if files is not None:
                click.echo(f"CA certificate: {files.ca}")
        else:
            config = write_client_files(stack, directory)
            click.echo(
                f"Sandbox Wazo stack on {stack.url} ({users} users, {tenants} tenants{costed})"
            )
            if files is not None:
                click.echo(f"CA certificate (for stack.verify_certificate): {files.ca}")
            click.echo(f"Config written to {config}:\n")
            click.echo(config.read_text())
            click.echo(f"Try: wazo-rec -c {config} status")
        click.echo("Ctrl-C stops it.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        stack.stop()


def _show_direct(stack: Sandbox, password: Path, seeded: str) -> None:
    click.echo(f"Sandbox Wazo daemons, direct layout ({seeded}):")
    for service, url in stack.urls.items():
        click.echo(f"  {service:<10} {url}")
    click.echo(f"Admin {Sandbox.ADMIN_USERNAME} (master tenant, ACL #); password in {password}")
    click.echo("Official clients: Client('localhost', port=<port>, prefix=None, https=False, ...)")
