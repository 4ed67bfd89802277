"""Reading secrets: refuse files others can read (like ssh), prefer systemd credentials.

Nothing here ever prints, logs or raises with a secret's value.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import click

from .config import Config
from .errors import UserError

CREDENTIAL_NAME = "refresh-token"  # LoadCredential=refresh-token:... in the units


def read_secret_file(path: Path, where: str, what: str) -> str:
    """The stripped content of a secret file that only its owner can read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise UserError(f"{where}: {what} {path} does not exist") from None
    except PermissionError:
        raise UserError(f"{where}: {what} {path} is not readable (permission denied)") from None
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{where}: {what} {path} is not a regular file")
    if st.st_mode & 0o077:
        raise UserError(
            f"{where}: {what} {path} is readable by group or others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    try:
        value = path.read_text(encoding="utf-8").strip()
    except PermissionError:
        raise UserError(f"{where}: {what} {path} is not readable (permission denied)") from None
    except UnicodeDecodeError:
        raise UserError(f"{where}: {what} {path} is not text") from None
    if not value:
        raise UserError(f"{where}: {what} {path} is empty")
    return value


def refresh_token(config: Config) -> str:
    """The service account's refresh token: the systemd credential wins over the file."""
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        cred = Path(cred_dir) / CREDENTIAL_NAME
        if cred.exists():
            # systemd made this file private to the unit; its mode is systemd's business
            value = cred.read_text(encoding="utf-8").strip()
            if value:
                return value
    return read_secret_file(
        config.auth.refresh_token_file,
        config.where("auth", "refresh_token_file"),
        "refresh token file",
    )


def has_refresh_token(config: Config) -> bool:
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir and (Path(cred_dir) / CREDENTIAL_NAME).exists():
        return True
    return config.auth.refresh_token_file.exists()


def password(config: Config, *, interactive: bool) -> str:
    """The admin password: password_file, else WAZO_REC_PASSWORD, else a prompt on a TTY."""
    if config.auth.password_file is not None:
        return read_secret_file(
            config.auth.password_file, config.where("auth", "password_file"), "password file"
        )
    env = os.environ.get("WAZO_REC_PASSWORD")
    if env:
        return env
    if interactive:
        return click.prompt(f"Password for {config.auth.username}", hide_input=True, err=True)
    raise UserError(
        "no password for auth.username: set auth.password_file or WAZO_REC_PASSWORD "
        "(or run on a terminal to be prompted)"
    )
