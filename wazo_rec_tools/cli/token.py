"""`wazo-rec token create|revoke`: the refresh token the tool runs with."""

from __future__ import annotations

from pathlib import Path

import click

from .. import secrets
from ..admin import tokens
from ..config import Config
from ..errors import UserError
from . import main
from .context import app, emit_json, is_tty, output_option

client_id_option = click.option(
    "--client-id", help="The refresh token's client id [default: auth.client_id]."
)


@main.group()
def token() -> None:
    """Create or revoke a refresh token (never printed unless --print)."""


@token.command("create")
@client_id_option
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (created with mode 0600).",
)
@click.option("--print", "print_", is_flag=True, help="Also print the token on stdout.")
@click.option("--force", is_flag=True, help="Replace a file that holds another value.")
@output_option
def create_command(
    client_id: str | None, output_file: Path | None, print_: bool, force: bool, output: str
) -> None:
    """Log in (auth.username and its password, or a prompt) and write the user's refresh
    token for the client id to -o FILE (mode 0600), or print it with --print.

    \b
    wazo-auth keeps one refresh token per user and client id: running this again gives the
    same token. A file holding another value is not replaced without --force.
    auth.refresh_token_file is the export service account's (`export setup` writes it):
    it is written only when -o names it.
    """
    config = app().config
    client_id = client_id or config.auth.client_id
    if output_file is None and not print_:
        raise click.UsageError(
            "say where the token goes: -o FILE, or --print (auth.refresh_token_file is the "
            "export service account's token, written by `wazo-rec export setup`)"
        )
    username, password = _credentials(config)
    with app().wazo() as wazo:
        refresh = wazo.auth.create_refresh_token(
            username=username, password=password, client_id=client_id
        )
    written = None
    if output_file is not None:
        written = secrets.write_token_file(output_file, refresh, force=force)
    if output == "json":
        report = {
            "client_id": client_id,
            "username": username,
            "file": str(written.path) if written else None,
            "status": written.status if written else "printed",
        }
        if print_:
            report["refresh_token"] = refresh
        emit_json(report)
        return
    if written is None:
        click.echo(refresh)
        return
    what = {
        secrets.WRITTEN: "written to",
        secrets.REPLACED: "written over",
        secrets.UNCHANGED: "already in",
    }[written.status]
    # the message goes to stderr when the token itself is asked for on stdout
    click.echo(
        f"refresh token of {username} for client id {client_id} {what} {written.path} (mode 0600)",
        err=print_,
    )
    if print_:
        click.echo(refresh)


@token.command("revoke")
@client_id_option
@output_option
def revoke_command(client_id: str | None, output: str) -> None:
    """Delete the user's refresh token for the client id on wazo-auth.

    Access tokens already issued with it stay valid until they expire (docs/wazo-api.md, auth §1).
    """
    config = app().config
    client_id = client_id or config.auth.client_id
    username, password = _credentials(config)
    with app().wazo() as wazo:
        wazo.login(username, password)
        user_uuid = tokens.revoke_refresh_token(wazo, client_id)
    if output == "json":
        emit_json({"client_id": client_id, "username": username, "user_uuid": user_uuid})
    else:
        click.echo(f"refresh token of {username} for client id {client_id} revoked")


def _credentials(config: Config) -> tuple[str, str]:
    """auth.username with its password (file, WAZO_REC_PASSWORD or prompt), or both prompted."""
    if config.auth.username is not None:
        return config.auth.username, secrets.password(config, interactive=is_tty())
    if not is_tty():
        raise UserError(
            f"{config.where('auth')}: no auth.username in the config and not on a terminal "
            "to ask for one"
        )
    username = click.prompt("Username", err=True)
    password = click.prompt(f"Password for {username}", hide_input=True, err=True)
    return username, password
