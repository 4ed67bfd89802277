"""What every command shares: the config, the connection to the stack, output helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

import click

from .. import secrets
from ..config import Config, load_config
from ..errors import UserError
from ..wazo.http import insecure_warning
from ..wazo.stack import Wazo


class App:
    """The click context object (`ctx.obj`)."""

    def __init__(self, config_path: Path | None, debug: bool):
        self.config_path = config_path
        self.debug = debug
        self._config: Config | None = None
        self._warned_insecure = False

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def wazo(self, **options: Any) -> Wazo:
        """A `Wazo` for the configured stack, not logged in; warns once when TLS is unchecked."""
        stack = self.config.stack
        warning = insecure_warning(stack.verify_certificate)
        if warning and not self._warned_insecure:
            click.echo(warning, err=True)
            self._warned_insecure = True
        return Wazo(stack, **options)

    def connect(self, *, as_: Literal["any", "service", "admin"] = "any") -> Wazo:
        """A `Wazo` logged in with the configured credentials.

        `service`: the refresh token (export job); `admin`: username + password;
        `any`: the admin credentials when a username is configured, else the refresh token.
        """
        config = self.config
        wazo = self.wazo()
        use_admin = as_ == "admin" or (as_ == "any" and config.auth.username is not None)
        if use_admin:
            if config.auth.username is None:
                raise UserError(
                    f"{config.where('auth')}: this command needs admin credentials: "
                    "set auth.username (and auth.password_file or WAZO_REC_PASSWORD)"
                )
            pw = secrets.password(config, interactive=is_tty())
            wazo.login(config.auth.username, pw)
        else:
            if as_ == "any" and not secrets.has_refresh_token(config):
                raise UserError(
                    "no credentials: neither auth.username nor the refresh token file "
                    f"{config.auth.refresh_token_file} "
                    "(run `wazo-rec export setup` or `wazo-rec token create`)"
                )
            wazo.login_refresh(secrets.refresh_token(config), config.auth.client_id)
        return wazo


def app() -> App:
    return click.get_current_context().find_object(App)


def is_tty() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


output_option = click.option(
    "--output",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts (stable).",
)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


def table(rows: list[list[Any]], headers: list[str]) -> str:
    """A plain aligned table (no colour, so it reads the same in logs and pipes)."""
    cells = [[str(h) for h in headers]] + [
        ["" if c is None else str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
