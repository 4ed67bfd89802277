"""Secrets never reach a log line, the SDKs' own debug logs included.

Every secret a destination reads is registered here; while any is, log records are rendered
once and any registered value in them replaced by `***`. A belt to the SDKs' braces: botocore,
azure-core and google-auth already avoid logging secrets, but a debug log is no place to find
out one of them changed its mind.
"""

from __future__ import annotations

import logging
import threading

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False
MASK = "***"


def register(value: str) -> str:
    """Mask `value` (and each of its lines, for keys) in every later log record."""
    global _installed
    parts = {value, *(line.strip() for line in value.splitlines())}
    # connection strings (Azure) and query strings (SAS): each value on its own too
    for piece in value.replace("&", ";").split(";"):
        parts.add(piece.partition("=")[2].strip())
    with _lock:
        _secrets.update(p for p in parts if len(p) >= 8)
        if not _installed:
            _install()
            _installed = True
    return value


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _install() -> None:
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _secrets:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string is the logger's bug, not ours to hide
                return record
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
