"""Where archives go: one `Destination` per URL in `export.destinations`.

A scheme (`file`, later `s3`, `sftp`, ...) maps to a factory in `SCHEMES`; the export job only
knows the `Destination` protocol, so a new kind of storage is one module and one `register`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from ...errors import UserError


class DestinationError(UserError):
    """A delivery that failed; the window is retried on the next run."""


class DestinationConflict(DestinationError):
    """The destination already holds a different object under the same key: never overwritten."""


class Destination(Protocol):
    url: str

    def exists(self, key: str, sha256: str) -> bool:
        """Whether `key` holds exactly this content; DestinationConflict if it holds another."""
        ...

    def deliver(self, local_path: Path, key: str, sha256: str) -> str:
        """Store the file under `key` atomically (nothing if already there); its location."""
        ...

    def sweep(self) -> list[str]:
        """Remove the temporary objects an interrupted delivery left; their locations."""
        ...


DestinationFactory = Callable[[str], Destination]
SCHEMES: dict[str, DestinationFactory] = {}


def register(scheme: str) -> Callable[[DestinationFactory], DestinationFactory]:
    def decorate(factory: DestinationFactory) -> DestinationFactory:
        SCHEMES[scheme] = factory
        return factory

    return decorate


def open_destination(url: str) -> Destination:
    scheme = urlsplit(url).scheme
    factory = SCHEMES.get(scheme)
    if factory is None:
        known = ", ".join(f"{s}://" for s in sorted(SCHEMES))
        raise UserError(f"export.destinations: unsupported destination {url!r} (known: {known})")
    return factory(url)


def archive_key(tenant_slug: str, year: int, label: str) -> str:
    """`<tenant-slug>/<year>/<from>_<until>.zip`, the same in every destination."""
    return f"{tenant_slug}/{year:04d}/{label}.zip"


def manifest_key(archive: str) -> str:
    return archive + ".manifest.json"


from . import file as _file  # noqa: E402,F401  (registers file://)
