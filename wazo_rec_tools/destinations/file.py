"""`file:///path`: a directory on this host (or a mount).

Written with `durable.write_new`: a temporary name, fsynced, then hard-linked into place,
which fails rather than replace a file that appeared meanwhile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pydantic import field_validator

from ..durable import CHUNK, fsync_dir, sha256_of, temp_names, write_new
from .base import AlreadyThere, Found, Source, Store
from .entries import Options as _Options
from .uploads import UploadLog

FILE_MODE = 0o640
DIR_MODE = 0o750


class Options(_Options):
    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(
                f"{value!r}: a file destination is file:///absolute/path "
                "(three slashes, then the absolute folder)"
            )
        return value


class FileStore(Store):
    def __init__(self, options: Options):
        self.url = options.url
        self.root = Path(unquote(urlsplit(options.url).path))

    def _path(self, key: str) -> Path:
        relative = PurePosixPath(key)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"bad destination key {key!r}")
        return self.root.joinpath(*relative.parts)

    def location(self, key: str) -> str:
        return self._path(key).as_uri()

    def head(self, key: str) -> Found | None:
        target = self._path(key)
        try:
            return Found(target.stat().st_size, sha256_of(target))
        except FileNotFoundError:
            return None

    def read(self, key: str) -> Iterator[bytes]:
        with open(self._path(key), "rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk

    def create(self, key: str, source: Source, uploads: UploadLog) -> None:
        target = self._path(key)
        # a run killed after the link, or mid-copy, leaves a temporary name behind
        with contextlib.suppress(OSError):
            for leftover in temp_names(target):
                leftover.unlink()
        _makedirs(target.parent)
        try:
            write_new(target, source.path, FILE_MODE)
        except FileExistsError:
            raise AlreadyThere() from None

    def sweep(self) -> list[str]:
        """Temporary copies (`<tenant>/<year>/.<name>.*.tmp`) left by a killed run."""
        removed = []
        for leftover in self.root.glob("*/*/.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed.append(leftover.as_uri())
        return removed

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        fsync_dir(self._path(key).parent)

    def is_transient(self, exc: BaseException) -> bool:
        return False  # a full or read-only disk does not heal in seconds

    def explain(self, exc: BaseException) -> str:
        if isinstance(exc, OSError) and exc.strerror:
            return exc.strerror
        return super().explain(exc)


def _makedirs(path: Path) -> None:
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=DIR_MODE)
        fsync_dir(directory.parent)


def open_store(options: Options, credentials: object) -> FileStore:
    return FileStore(options)
