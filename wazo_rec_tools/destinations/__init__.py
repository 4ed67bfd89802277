"""Where files go: the export's archives now, the mirror's recordings next.

A destination is configured as a URL (`file://`, `s3://`, `gs://`, `azure://`, `sftp://`) or a
mapping with `url` and its kind's options (`entries.py`, checked when the config is loaded).
`open_destination` reads its secret and gives a `Destination` (`base.py`), whose contract is
the same for every kind: `exists(key, sha256)`, `deliver(path, key, sha256)`, `check()`. A
kind is one module with its `Options` and a `Store` of the store's primitives.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..errors import UserError
from .base import (
    CheckResult,
    Destination,
    DestinationConflict,
    DestinationError,
    Retry,
    Store,
)
from .entries import KINDS, DestinationSpec, EntryError, check_entries, parse_entry
from .uploads import MemoryUploads, StateUploads, UploadLog

__all__ = [
    "KINDS",
    "CheckResult",
    "Destination",
    "DestinationConflict",
    "DestinationError",
    "DestinationSpec",
    "EntryError",
    "MemoryUploads",
    "Retry",
    "StateUploads",
    "Store",
    "UploadLog",
    "check_entries",
    "open_destination",
    "parse_entry",
]


def open_destination(
    entry: str | DestinationSpec,
    *,
    uploads: UploadLog | None = None,
    retry: Retry | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Destination:
    """A ready `Destination`: its SDK imported, its secret read (never logged)."""
    if isinstance(entry, str):
        try:
            entry = parse_entry(entry)
        except ValueError as exc:  # EntryError and pydantic's ValidationError alike
            raise UserError(f"destination {entry!r}: {_first_line(exc)}") from None
    module = importlib.import_module(f"{__package__}.{entry.kind.module}")
    credential = _credential(entry)
    try:
        store = module.open_store(entry.options, credential)
    except UserError as exc:
        # e.g. a credential file of the wrong shape: say which entry, never what it holds
        raise UserError(f"{entry.where}: {entry.url}: {exc}") from None
    extra = {} if sleep is None else {"sleep": sleep}
    return Destination(
        store,
        uploads=uploads,
        retry=retry or Retry(attempts=entry.options.retries),
        **extra,
    )


def _credential(entry: DestinationSpec) -> str | None:
    from .. import secrets
    from . import redact

    name = entry.options.credentials
    if name is None:
        return None
    return redact.register(secrets.named_credential(name, entry.where))


def _first_line(exc: Exception) -> str:
    if hasattr(exc, "errors"):
        errors = exc.errors(include_url=False)  # type: ignore[attr-defined]
        if errors:
            err = errors[0]
            field = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            return f"{field}: {msg}" if field else msg
    return str(exc).splitlines()[0]
