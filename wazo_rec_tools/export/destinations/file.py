"""`file:///path`: a directory on this host (or a mount)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ...durable import CHUNK, fsync_dir, sha256_of
from ...errors import UserError
from . import DestinationConflict, DestinationError, register

FILE_MODE = 0o640
DIR_MODE = 0o750


class FileDestination:
    """Files under a root directory: written to a temporary name, fsynced, then linked into
    place, which fails rather than replace a file that appeared meanwhile."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise UserError(
                f"export.destinations: {url!r}: a file destination is file:///absolute/path"
            )
        self.url = url
        self.root = Path(unquote(parts.path))

    def _path(self, key: str) -> Path:
        relative = PurePosixPath(key)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"bad destination key {key!r}")
        return self.root.joinpath(*relative.parts)

    def location(self, key: str) -> str:
        return self._path(key).as_uri()

    def exists(self, key: str, sha256: str) -> bool:
        target = self._path(key)
        try:
            found = sha256_of(target)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise DestinationError(f"{self.location(key)}: cannot read: {exc.strerror}") from None
        if found != sha256:
            raise DestinationConflict(
                f"{self.location(key)} already exists with different content "
                f"(sha256 {found[:12]}…, expected {sha256[:12]}…); it is never overwritten: "
                "move it away to deliver this window again"
            )
        return True

    def deliver(self, local_path: Path, key: str, sha256: str) -> str:
        target = self._path(key)
        temp = _temp_name(target)  # runs are serialised by the lock
        # a run killed after the link leaves the full-size temporary name behind
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            temp.unlink()
        if self.exists(key, sha256):
            return self.location(key)
        try:
            _makedirs(target.parent)
            try:
                _copy(local_path, temp)
                try:
                    os.link(temp, target)
                except FileExistsError:
                    # another writer got there first: identical content is fine
                    self.exists(key, sha256)
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                        raise
                    # no hard links here (some network or FAT file systems): rename, after
                    # one more check that nothing took the name
                    if self.exists(key, sha256):
                        return self.location(key)
                    os.rename(temp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
            fsync_dir(target.parent)
        except OSError as exc:
            raise DestinationError(
                f"{self.location(key)}: cannot write: {exc.strerror or exc}"
            ) from None
        return self.location(key)

    def sweep(self) -> list[str]:
        """Temporary copies (`<tenant>/<year>/.<name>.tmp`) left by a killed run."""
        removed = []
        for leftover in self.root.glob("*/*/.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed.append(leftover.as_uri())
        return removed


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp")


def _makedirs(path: Path) -> None:
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=DIR_MODE)
        fsync_dir(directory.parent)


def _copy(source: Path, temp: Path) -> None:
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    with open(fd, "wb") as out, open(source, "rb") as src:
        try:
            # in-kernel copy: an archive of a few GB never passes through this process
            while os.copy_file_range(src.fileno(), out.fileno(), 64 * CHUNK):
                pass
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            src.seek(0)
            out.seek(0)
            out.truncate()
            shutil.copyfileobj(src, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())


@register("file")
def _file_destination(url: str) -> FileDestination:
    return FileDestination(url)
