"""The run lock: one job of a kind at a time on a state directory.

An exclusive, non-blocking flock on `<job>.lock`. The kernel drops it when the process dies,
however it dies, so a killed run never leaves a stale lock behind; the file holds the pid of
the holder so that the refusal can name it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from ..errors import UserError
from .state import StateError, make_state_dir


class RunLocked(UserError):
    """Another run of the same job holds the lock."""


class JobLock:
    """`with JobLock(state_dir, "export", "export run"):` — refused at once if held."""

    def __init__(self, state_dir: Path, job: str, what: str | None = None):
        self.path = Path(state_dir) / f"{job}.lock"
        self.what = what or f"{job} run"
        self._fd: int | None = None

    @property
    def holder(self) -> str | None:
        """The pid written by the current holder, if any (best effort)."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        return text if text.isdigit() else None

    def acquire(self) -> JobLock:
        make_state_dir(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        except PermissionError:
            from .folders import not_writable

            target = self.path if self.path.exists() else self.path.parent
            raise not_writable(
                target, "the lock file" if target == self.path else "the state directory"
            ) from None
        except OSError as exc:
            raise StateError(
                f"cannot open the lock file {self.path}: {exc.strerror} "
                "(the state directory must be writable by the user running the job)"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise RunLocked(
                f"another {self.what} is in progress{who}: lock held on {self.path}; "
                "this run exits without doing anything"
            ) from None
        with contextlib.suppress(OSError):  # the pid is a courtesy for the refusal message
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JobLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> str | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return text if text.isdigit() else None
