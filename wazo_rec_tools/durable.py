"""Durable file writes: what is on disk before the journal says so stays there after a crash."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CHUNK = 1024 * 1024


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


def write_json(path: Path, data: Any, mode: int = 0o640) -> None:
    """JSON written atomically: temp file, fsync, rename, fsync of the folder."""
    temp = path.with_name(f".{path.name}.tmp")
    payload = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    with open(fd, "wb") as out:
        out.write(payload)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)


def write_text(path: Path, text: str | Iterable[str], mode: int = 0o640) -> None:
    """Text (or its pieces, in order) written atomically, like `write_json`: a reader never
    sees half a file."""
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    with open(fd, "wb") as out:
        for piece in [text] if isinstance(text, str) else text:
            out.write(piece.encode())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
