"""Encryption to the customer's keys (`encryption.age_recipients`), with age (pyrage, `[age]`).

What leaves the stack is an age file (`.age` appended to the key) that only the holders of
the recipients' private keys can read, the PBX's admins included. Encryption streams (64 KiB
chunks: memory stays flat) into a spool file that is written whole, then renamed, so a killed
run leaves either nothing or a complete file. age output is random each time: the spool file
is kept until every destination has it, so that a resumed delivery sends the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..durable import fsync_dir
from ..errors import UserError

SUFFIX = ".age"
EXTRA = "pip install 'wazo-rec-tools[age]'"


def _pyrage() -> Any:
    try:
        import pyrage
    except ImportError:
        raise UserError(f"encryption.age_recipients needs pyrage ({EXTRA})") from None
    return pyrage


def parse_recipient(text: str) -> Any:
    """An age X25519 (`age1…`) or `ssh-ed25519 …` public key; ValueError if neither."""
    pyrage = _pyrage()
    text = text.strip()
    try:
        if text.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(text)
        if text.startswith("ssh-ed25519 "):
            return pyrage.ssh.Recipient.from_str(text)
    except pyrage.RecipientError as exc:
        raise ValueError(f"not a valid age recipient ({exc})") from None
    raise ValueError(
        "expected an age public key (age1…) or an ssh-ed25519 public key "
        "(ssh-ed25519 AAAA… comment)"
    )


@dataclass(frozen=True)
class Encryption:
    recipients: tuple[str, ...]

    def _parsed(self) -> list[Any]:
        return [parse_recipient(r) for r in self.recipients]

    def encrypt_file(self, source: Path, target: Path) -> tuple[str, int]:
        """Encrypt `source` into `target` (complete or absent); its sha256 and size."""
        pyrage = _pyrage()
        temp = target.with_name(f".{target.name}.part")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o640)
        try:
            with open(fd, "wb") as raw, open(source, "rb") as plain:
                out = _Hashing(raw)
                pyrage.encrypt_io(plain, out, self._parsed())
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        fsync_dir(target.parent)
        return out.digest.hexdigest(), out.size

    def encrypt_bytes(self, data: bytes, target: Path) -> tuple[str, int]:
        plain = target.with_name(f".{target.name}.plain")
        fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o640)
        try:
            with open(fd, "wb") as out:
                out.write(data)
            return self.encrypt_file(plain, target)
        finally:
            plain.unlink(missing_ok=True)


class _Hashing:
    """A writer that hashes what goes through it."""

    def __init__(self, raw: Any):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()
