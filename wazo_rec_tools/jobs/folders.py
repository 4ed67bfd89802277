"""Folders a job writes in (state directory, spool), and what to say when it cannot.

The usual cause is a run by hand as root: it leaves root-owned files in the state directory
that the timer's transient user (DynamicUser=yes) cannot write. The message says who owns
the path, who this run is, and how to run by hand the way the unit does (docs/systemd.md).
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from .state import StateError

RUN_BY_HAND = (
    "run by hand as the unit does: `sudo systemd-run --pty --wait --collect "
    "--property=DynamicUser=yes --property=User=wazo-rec-tools "
    "--property=StateDirectory=wazo-rec-tools ... wazo-rec ...`, "
    "or `sudo runuser -u <the unit's User=> -- wazo-rec ...` (docs/systemd.md); "
    "files already left to root go back to the unit's user with `sudo chown -R "
    "--reference=/var/lib/private/wazo-rec-tools /var/lib/private/wazo-rec-tools`"
)


def _user(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def not_writable(path: Path, what: str) -> StateError:
    """The error for a path this process may not write: owner, this user, what to do."""
    try:
        owner = _user(path.stat().st_uid)
    except OSError:
        owner = "another user"
    return StateError(
        f"{what} {path} is not writable by this run ({_user(os.geteuid())}; it belongs to "
        f"{owner}): {RUN_BY_HAND}"
    )


def check_writable(path: Path, what: str) -> None:
    """Raise `not_writable` when `path` exists and this process cannot write it."""
    try:
        exists = path.exists()
    except PermissionError:
        raise not_writable(path.parent, f"the folder of {what}") from None
    if exists and not os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0)):
        raise not_writable(path, what)
