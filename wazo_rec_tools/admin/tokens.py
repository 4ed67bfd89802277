"""Refresh tokens: minting one for a user and client id, writing it privately, revoking it.

auth.md §1: one refresh token per (user, client id); a second offline login returns the same
one. auth.md §3: it is removed by DELETE /users/{uuid}/tokens/{client_id}.
The token value never reaches a log line, an exception or output (unless asked for).
"""

from __future__ import annotations

import contextlib
import os
import secrets as random_names
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from .durable import fsync_directory

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
    temp = path.with_name(f".{path.name}.{random_names.token_hex(6)}.tmp")
    # O_EXCL: a fresh file that no one else can have opened; 0600 before any byte is written
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    fsync_directory(path.parent)
    return WrittenToken(path, status)


def revoke_refresh_token(wazo: Wazo, client_id: str) -> str:
    """Delete the logged-in user's refresh token for `client_id`; returns the user uuid."""
    assert wazo.tokens is not None
    user_uuid = wazo.tokens.user_uuid
    if not user_uuid:
        raise UserError("the token carries no user uuid: cannot tell whose refresh token to revoke")
    try:
        wazo.auth.delete_refresh_token(user_uuid, client_id)
    except ApiError as exc:
        if exc.error_id == "cannot-find-refresh-token-matching-client-id":
            raise UserError(
                f"user {user_uuid} has no refresh token for client id {client_id!r}: "
                "nothing to revoke"
            ) from None
        raise
    return user_uuid


def _holds(path: Path, token: str) -> bool:
    try:
        return path.read_text(encoding="utf-8").strip() == token
    except (OSError, UnicodeDecodeError):
        return False
