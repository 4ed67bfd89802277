"""`file:///path`: a directory on this host (or a mount)."""

from __future__ import annotations

import contextlib
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ...durable import fsync_dir, sha256_of, temp_names, write_new
from ...errors import UserError
from . import DestinationConflict, DestinationError, register

FILE_MODE = 0o640
DIR_MODE = 0o750


class FileDestination:
    """Files under a root directory, written with `durable.write_new`: a temporary name,
    fsynced, then linked into place, which fails rather than replace a file that appeared
    meanwhile."""

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
        # a run killed after the link, or mid-copy, leaves a temporary name behind
        with contextlib.suppress(OSError):
            for leftover in temp_names(target):
                leftover.unlink()
        if self.exists(key, sha256):
            return self.location(key)
        try:
            _makedirs(target.parent)
            write_new(target, local_path, FILE_MODE)
        except FileExistsError:
            # another writer got there first: identical content is fine
            self.exists(key, sha256)
        except OSError as exc:
            raise DestinationError(
                f"{self.location(key)}: cannot write: {exc.strerror or exc}"
            ) from None
        return self.location(key)

    def sweep(self) -> list[str]:
        """Temporary copies (`<tenant>/<year>/.<name>.*.tmp`) left by a killed run."""
        removed = []
        for leftover in self.root.glob("*/*/.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed.append(leftover.as_uri())
        return removed


def _makedirs(path: Path) -> None:
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=DIR_MODE)
        fsync_dir(directory.parent)


@register("file")
def _file_destination(url: str) -> FileDestination:
    return FileDestination(url)
