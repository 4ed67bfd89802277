"""Where an export's files go under a destination's prefix, the same in every destination."""

from __future__ import annotations


def archive_key(tenant_slug: str, year: int, label: str) -> str:
    """`<tenant-slug>/<year>/<from>_<until>.zip`."""
    return f"{tenant_slug}/{year:04d}/{label}.zip"


def manifest_key(archive: str) -> str:
    return archive + ".manifest.json"
