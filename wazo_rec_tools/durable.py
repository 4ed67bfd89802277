"""Crash-safe files: what is on disk before the journal says so stays there after a crash.

Three verbs, used everywhere a file is written:

- `write_new(path, data)`: create a file that must not exist yet (never overwrites);
- `replace(path, data)`: put new content under a name, whole or not at all (`write_json` and
  `write_text` are spellings of it);
- `stream_into(path)`: a body of unknown size (a download), published only once complete.

Each writes a temporary file in the same folder with its final mode from the first byte,
fsyncs it, links or renames it into place, then fsyncs the folder. A temporary name is hidden
and ends in `.tmp` (a stream's in `.part`), so a leftover of a killed process is recognisable.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1024 * 1024
PART_SUFFIX = ".part"


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` survive a crash.

    Best effort: some file systems refuse to open or fsync a directory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    """A fresh hidden temporary name next to `path` (`.<name>.<random>.tmp`)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def temp_names(path: Path) -> Iterator[Path]:
    """The temporary names of `path` left by killed writers."""
    return path.parent.glob(f".{_glob_escape(path.name)}.*.tmp")


def write_new(path: Path, data: bytes | Path, mode: int = 0o640) -> None:
    """Create `path` holding `data` (bytes, or the content of a file); FileExistsError if it
    exists, and then it is left untouched."""
    temp = _written(path, data, mode)
    try:
        try:
            os.link(temp, path)  # fails rather than replace a file that appeared meanwhile
        except OSError as exc:
            if isinstance(exc, FileExistsError) or exc.errno not in (
                errno.EPERM,
                errno.ENOTSUP,
                errno.EXDEV,
            ):
                raise
            # no hard links here (some network or FAT file systems): rename, after one more
            # look that nothing took the name
            if path.exists():
                raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
            os.rename(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    fsync_dir(path.parent)


def replace(path: Path, data: bytes | Path, mode: int = 0o640, *, exact: bool = False) -> None:
    """Put `data` under `path`, replacing what is there: a reader sees the old or the new
    content, never a mix. `exact`: the mode as given, whatever the umask (a file another
    service reads, such as node_exporter's textfile)."""
    temp = _written(path, data, mode, exact=exact)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_dir(path.parent)


def write_json(path: Path, data: Any, mode: int = 0o640) -> None:
    """JSON (indented, sorted keys) under `path`, with `replace`."""
    replace(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode(), mode)


@contextlib.contextmanager
def stream_into(path: Path, mode: int = 0o600, *, sync: bool = True) -> Iterator[BinaryIO]:
    """Write a stream into `<path>.part`; when the block ends without an error, fsync it and
    rename it to `path`. On an error the part is removed and `path` is left as it was.

    `sync=False` skips the fsyncs, for a copy that is hashed again before every use (the
    mirror's spool): a crash can lose it, never make it pass for complete."""
    part = part_path(path)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            if sync:
                os.fsync(out.fileno())
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        raise
    if sync:
        fsync_dir(path.parent)


def part_path(path: Path) -> Path:
    """Where `stream_into(path)` writes until the stream is complete."""
    return path.with_name(path.name + PART_SUFFIX)


def write_text(
    path: Path, text: str | Iterable[str], mode: int = 0o640, *, exact: bool = False
) -> None:
    """Text (or its pieces, in order) under `path`, with `replace`: a reader never sees half
    a file."""
    pieces = [text] if isinstance(text, str) else text
    replace(path, b"".join(piece.encode() for piece in pieces), mode, exact=exact)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _written(path: Path, data: bytes | Path, mode: int, *, exact: bool = False) -> Path:
    """A fsynced temporary file next to `path` holding `data`; O_EXCL: a fresh file no one
    else can have opened, with its mode before any byte is written."""
    temp = temp_name(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            if exact:
                os.fchmod(out.fileno(), mode)
            if isinstance(data, bytes):
                out.write(data)
            else:
                _copy(data, out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return temp


def _copy(source: Path, out: BinaryIO) -> None:
    with open(source, "rb") as src:
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


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
