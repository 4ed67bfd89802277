"""`file:///path`: a directory on this host (or a mount).

Written to a temporary name, fsynced, then hard-linked into place, which fails rather than
replace a file that appeared meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pydantic import field_validator

from ..durable import CHUNK, fsync_dir, sha256_of
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
        _makedirs(target.parent)
        temp = target.with_name(f".{target.name}.tmp")  # runs are serialised by the lock
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        try:
            _copy(source.path, temp)
            try:
                os.link(temp, target)
            except FileExistsError:
                raise AlreadyThere() from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                    raise
                # no hard links here (some network or FAT file systems): rename, after one
                # more check that nothing took the name
                if target.exists():
                    raise AlreadyThere() from None
                os.rename(temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        fsync_dir(target.parent)

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


def open_store(options: Options, credentials: object) -> FileStore:
    return FileStore(options)
