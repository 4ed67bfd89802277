"""Reading secrets: refuse files others can read (like ssh), prefer systemd credentials.

Nothing here ever prints, logs or raises with a secret's value.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import click

from . import durable
from .config import Config
from .errors import UserError

CREDENTIAL_NAME = "refresh-token"  # LoadCredential=refresh-token:... in the units
PASSWORD_CREDENTIAL = "password"  # LoadCredential=password:... in wazo-rec-sync.service


def _credential(name: str) -> str | None:
    """A systemd credential ($CREDENTIALS_DIRECTORY/name), if the unit was given one.

    systemd made the file private to the unit; its mode is systemd's business.
    """
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if not cred_dir:
        return None
    path = Path(cred_dir) / name
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


CREDENTIALS_DIR = Path("/etc/wazo-rec-tools/credentials")


def named_credential(name: str, where: str) -> str:
    """The secret named `name` (a destination's `credentials:`): the systemd credential
    `$CREDENTIALS_DIRECTORY/NAME` under a unit, else `/etc/wazo-rec-tools/credentials/NAME`
    (refused when group or others can read it)."""
    value = _credential(name)
    if value:
        return value
    if os.environ.get("CREDENTIALS_DIRECTORY"):
        raise UserError(
            f"{where}: no credential {name!r} in $CREDENTIALS_DIRECTORY: add "
            f"LoadCredential={name}:{CREDENTIALS_DIR / name} to the unit"
        )
    return read_secret_file(CREDENTIALS_DIR / name, where, f"credential {name!r}:")


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
    value = _credential(CREDENTIAL_NAME)
    if value:
        return value
    return read_secret_file(
        config.auth.refresh_token_file,
        config.where("auth", "refresh_token_file"),
        "refresh token file",
    )


def has_refresh_token(config: Config) -> bool:
    return bool(_credential(CREDENTIAL_NAME)) or config.auth.refresh_token_file.exists()


def password(config: Config, *, interactive: bool) -> str:
    """The admin password: the systemd credential `password`, else password_file,
    else WAZO_REC_PASSWORD, else a prompt on a TTY."""
    value = _credential(PASSWORD_CREDENTIAL)
    if value:
        return value
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


# file outcomes
WRITTEN = "written"
UNCHANGED = "unchanged"  # the file already held this very token
REPLACED = "replaced"  # --force over a different token


@dataclass(frozen=True)
class WrittenToken:
    path: Path
    status: str


def write_token_file(path: Path, token: str, *, force: bool = False) -> WrittenToken:
    """Write `token` to `path`, mode 0600 from its creation, atomically (temp name + rename).

    An existing file holding another value is only replaced with `force`.
    """
    if not path.parent.is_dir():
        raise UserError(f"{path.parent} does not exist: create the directory first")
    status = WRITTEN
    if path.exists() or path.is_symlink():
        if _holds(path, token):
            os.chmod(path, 0o600)
            return WrittenToken(path, UNCHANGED)
        if not force:
            raise UserError(
                f"{path} already exists and holds another value; nothing written "
                "(add --force to replace it)"
            )
        status = REPLACED
    durable.replace(path, (token + "\n").encode(), 0o600)  # 0600 before any byte is written
    return WrittenToken(path, status)


def _holds(path: Path, token: str) -> bool:
    try:
        return path.read_text(encoding="utf-8").strip() == token
    except (OSError, UnicodeDecodeError):
        return False
