"""Destination entries of the config: a URL, or a mapping with `url` and the kind's options.

Checked when the config is loaded (unknown scheme, bad URL, unknown or bad option, a missing
optional SDK), so `status` and `validate` find what `export run` would trip on. Nothing here
imports an SDK or reads a secret: that happens when a destination is opened.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from ..yamlsource import Document, pydantic_problems

CREDENTIAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class Kind:
    scheme: str
    module: str  # wazo_rec_tools.destinations.<module>
    extra: str | None  # pip extra that brings its SDK
    needs: tuple[str, ...] = ()  # modules that must be importable


KINDS: dict[str, Kind] = {
    k.scheme: k
    for k in (
        Kind("file", "file", None),
        Kind("s3", "s3", "s3", ("boto3",)),
        Kind("gs", "gcs", "gcs", ("google.cloud.storage",)),
        Kind("azure", "azure", "azure", ("azure.storage.blob",)),
        Kind("sftp", "sftp", "sftp", ("asyncssh",)),
    )
}


class Options(BaseModel):
    """What every kind accepts; each kind adds its own options."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    url: StrictStr
    credentials: StrictStr | None = None
    retries: Annotated[int, Field(ge=1, le=20)] = 5

    @field_validator("credentials")
    @classmethod
    def _credentials(cls, value: str | None) -> str | None:
        if value is not None and not CREDENTIAL_NAME.match(value):
            raise ValueError(
                f"a credential name such as s3-acme (letters, digits, '.', '_', '-'), "
                f"not a path or a secret; got {len(value)} character(s)"
            )
        return value


@dataclass(frozen=True)
class DestinationSpec:
    """One checked destination entry."""

    url: str
    kind: Kind
    options: Options
    where: str = "(defaults)"  # file:line:col of the entry, for errors found when opening

    def __str__(self) -> str:
        return self.url


class EntryError(ValueError):
    """A destination entry that cannot be used, with the option it is about."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def parse_entry(raw: Any, where: str = "(defaults)") -> DestinationSpec:
    """A destination entry checked; `EntryError` or pydantic's `ValidationError` if bad."""
    if isinstance(raw, DestinationSpec):
        return raw
    if isinstance(raw, str):
        data: dict[str, Any] = {"url": raw}
    elif isinstance(raw, dict):
        data = dict(raw)
        if "url" not in data:
            raise EntryError("a destination mapping needs `url` (e.g. s3://bucket/prefix)")
    else:
        raise EntryError(
            f"a destination is a URL or a mapping with `url`, got {type(raw).__name__}"
        )
    url = data["url"]
    if not isinstance(url, str):
        raise EntryError(f"expected a URL string, got {url!r}", "url")
    scheme = urlsplit(url).scheme if "://" in url else ""
    kind = KINDS.get(scheme)
    if kind is None:
        known = ", ".join(f"{s}://" for s in KINDS)
        what = f"unknown destination scheme {scheme!r}" if scheme else "not a destination URL"
        raise EntryError(f"{what} in {url!r} (known: {known})", "url")
    module = importlib.import_module(f"{__package__}.{kind.module}")
    options = module.Options.model_validate(data)
    missing = [name for name in kind.needs if not _importable(name)]
    if missing:
        raise EntryError(
            f"{scheme}:// destinations need {missing[0].split('.')[0]} "
            f"(run: pip install 'wazo-rec-tools[{kind.extra}]')",
            "url",
        )
    return DestinationSpec(options.url, kind, options, where)


def check_entries(
    doc: Document | None, loc: tuple[Any, ...], entries: list[Any]
) -> tuple[list[DestinationSpec], list[str]]:
    """Every entry checked: the specs, and one `file:line:col: message` per problem."""
    specs: list[DestinationSpec] = []
    problems: list[str] = []
    for index, raw in enumerate(entries):
        item = (*loc, index)
        where = f"{doc.path}:{doc.locate(item)}" if doc is not None else "(defaults)"
        try:
            specs.append(parse_entry(raw, where))
        except ValidationError as exc:
            if doc is None:
                problems.append(f"{where}: {'.'.join(map(str, item))}: {exc}")
            else:
                problems.extend(pydantic_problems(doc, exc, item))
        except EntryError as exc:
            at = (*item, exc.key) if exc.key and isinstance(raw, dict) else item
            mark = f"{doc.path}:{doc.locate(at)}" if doc is not None else where
            problems.append(f"{mark}: {'.'.join(map(str, item))}: {exc}")
    return specs, problems


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def bucket_url(value: str, shape: str, *, needs_path: bool = False) -> str:
    """A store URL (`s3://bucket/prefix`…): a host part, no credentials, query or fragment;
    `shape` says what it should look like."""
    parts = urlsplit(value)
    bad = not parts.netloc or "@" in parts.netloc or parts.query or parts.fragment
    if bad or (needs_path and not parts.path.strip("/")):
        raise ValueError(f"{value!r}: {shape}")
    return value.rstrip("/")


def endpoint_url(value: str | None) -> str | None:
    """An `endpoint_url` option: http(s), never with a password in it."""
    if value is not None:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http://)")
        url_without_userinfo_secret(value)
    return value


def url_without_userinfo_secret(value: str) -> str:
    """Refuse `user:password@` in a URL: secrets are named by `credentials`, never inline."""
    netloc = urlsplit(value).netloc
    if "@" in netloc and ":" in netloc.rsplit("@", 1)[0]:
        raise ValueError("must not carry a password; name a secret with `credentials:`")
    return value
