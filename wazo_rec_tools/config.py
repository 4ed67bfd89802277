"""The configuration file (`config.example.yml`): the stack, the credentials, the jobs,
the notifications."""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .destinations.entries import DestinationSpec, check_entries
from .errors import InputErrors
from .yamlsource import Document, load_file, pydantic_problems, readable_hint

DEFAULT_PATH = Path("/etc/wazo-rec-tools/config.yml")
DEFAULT_STATE_DIR = Path("/var/lib/wazo-rec-tools")
DEFAULT_CLIENT_ID = "wazo-rec-tools"

# Service locations (product.md "The Wazo APIs"): through nginx, or the daemons on the host.
SERVICES = {
    # name: (nginx prefix, direct port, version)
    "auth": ("/api/auth", 9497, "0.1"),
    "confd": ("/api/confd", 9486, "1.1"),
    "call-logd": ("/api/call-logd", 9298, "1.0"),
    "calld": ("/api/calld", 9500, "1.0"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StackConfig(_Strict):
    url: StrictStr | None = None
    verify_certificate: StrictBool | StrictStr = True
    timeout: Annotated[float, Field(gt=0, le=600, strict=False)] = 10.0

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http://)")
        if value is not None and ("@" in value.split("//", 1)[1].split("/", 1)[0]):
            raise ValueError("must not carry credentials; use the auth section")
        return value.rstrip("/") if value else value

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number of seconds, got {value!r}")
        return value

    def base_url(self, service: str) -> str:
        prefix, port, version = SERVICES[service]
        if self.url:
            return f"{self.url}{prefix}/{version}"
        return f"http://127.0.0.1:{port}/{version}"


class AuthConfig(_Strict):
    refresh_token_file: Path = Field(Path("/etc/wazo-rec-tools/refresh-token"), strict=False)
    client_id: Annotated[StrictStr, Field(min_length=1, max_length=1024)] = DEFAULT_CLIENT_ID
    username: StrictStr | None = None
    password_file: Path | None = Field(None, strict=False)

    @field_validator("refresh_token_file", "password_file", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"expected a file path, got {value!r}")
        return value


class ExportConfig(_Strict):
    schedule: Literal["weekly", "daily"] = "weekly"
    timezone: StrictStr | None = None
    catch_up: Annotated[int, Field(ge=1, le=520)] = 4
    tenants: Literal["all"] | list[StrictStr] = "all"
    email: StrictStr | None = None
    state_dir: Path = Field(DEFAULT_STATE_DIR, strict=False)
    # entries: a URL, or a mapping with `url` and the kind's options (destinations/entries.py);
    # checked once the file is loaded, then held as `DestinationSpec`s
    destinations: list[Any] = Field(
        default_factory=lambda: ["file:///var/lib/wazo-rec-tools/archives"], min_length=1
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    @field_validator("destinations", mode="before")
    @classmethod
    def _destinations(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("expected a list of destinations (URLs, or mappings with `url`)")
        return value

    @field_validator("tenants")
    @classmethod
    def _tenants(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("list at least one tenant, or say `all`")
        return value

    @field_validator("state_dir", mode="before")
    @classmethod
    def _state_dir(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"expected a directory path, got {value!r}")
        return value


_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """`90s`, `2m`, `6h`, `7d` (or a number of seconds) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 2m or 7d, got {value!r}")
    if isinstance(value, int) and value >= 0:
        return timedelta(seconds=value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a duration such as 90s, 2m, 6h or 7d, got {value!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class MirrorConfig(_Strict):
    """`mirror:`: per-recording delivery (docs/mirror.md)."""

    tenants: Literal["all"] | list[StrictStr] = "all"
    # the same entries as export.destinations (destinations/entries.py), checked at load
    destinations: list[Any] = Field(default_factory=list)
    lag: timedelta = Field(timedelta(minutes=2), strict=False)
    start: datetime | None = Field(None, strict=False)
    concurrency: Annotated[int, Field(ge=1, le=32)] = 4
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    delete_after_delivery: StrictBool = False
    keep_on_stack: timedelta = Field(timedelta(days=7), strict=False)

    @field_validator("lag", "keep_on_stack", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value)

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"expected an ISO date-time such as 2026-12-01T00:00:00Z, got {value!r}"
                ) from None
        else:
            raise ValueError(f"expected an ISO date-time, got {value!r}")
        if moment.tzinfo is None:
            raise ValueError(f"{value!r} has no UTC offset: write it with Z or +01:00")
        return moment

    @field_validator("destinations", mode="before")
    @classmethod
    def _destinations(cls, value: Any) -> Any:
        return ExportConfig._destinations(value)

    @field_validator("tenants")
    @classmethod
    def _tenants(cls, value: Any) -> Any:
        return ExportConfig._tenants(value)


class EncryptionConfig(_Strict):
    """What leaves the stack is encrypted to these age recipients (destinations/encryption)."""

    age_recipients: Annotated[list[StrictStr], Field(min_length=1)]


# The events a webhook or Apprise entry can subscribe to (docs/notifications.md).
EVENTS = (
    "export.delivered",
    "export.failed",
    "mirror.delivered",
    "mirror.failed",
    "audit.failed",
    "policy.drift",
    "policy.applied",
    "job.failed",
)
# The unattended jobs a healthchecks entry can follow; `apply` is always the `sync` job.
JOBS = ("export", "mirror", "sync", "audit")
NOTIFY_KINDS = ("webhook", "healthchecks", "apprise")
APPRISE_INSTALL = "pip install 'wazo-rec-tools[apprise]'"
NOTIFY_TIMEOUT = 10.0


def _check_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an https:// (or http://) URL, got {value!r}")
    host = value.split("//", 1)[1].split("/", 1)[0].split("?", 1)[0]
    if not host:
        raise ValueError(f"the URL {value!r} has no host")
    if "@" in host:
        raise ValueError("the URL must not carry credentials")
    return value


def _check_names(value: Any, known: tuple[str, ...], what: str) -> Any:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of {what}s, one of: {', '.join(known)}")
    for name in value:
        if name not in known:
            raise ValueError(f"unknown {what} {name!r} (known: {', '.join(known)})")
    if len(set(value)) != len(value):
        raise ValueError(f"a {what} is listed twice")
    return value


class NotifyHook(_Strict):
    """One `notify:` entry: exactly one of `webhook`, `healthchecks` or `apprise`."""

    webhook: StrictStr | None = None
    healthchecks: StrictStr | None = None
    apprise: StrictStr | None = None
    secret: StrictStr | None = None  # webhook: the credential that holds whsec_<base64>
    events: list[StrictStr] | None = None  # webhook, apprise
    jobs: list[StrictStr] | None = None  # healthchecks
    # healthchecks: what is added to the URL per state (`null`: no ping); defaults suit
    # healthchecks.io; cronitor-style: /run, /complete, /fail; Uptime Kuma: ?status=up|down
    start: StrictStr | None = "/start"
    success: StrictStr | None = ""
    fail: StrictStr | None = "/fail"
    timeout: Annotated[float, Field(gt=0, le=60, strict=False)] = NOTIFY_TIMEOUT

    @field_validator("webhook", "healthchecks")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)

    @field_validator("apprise")
    @classmethod
    def _apprise(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "://" not in value:
            raise ValueError("expected an Apprise URL such as mailtos://… or ntfys://…")
        if importlib.util.find_spec("apprise") is None:
            raise ValueError(f"Apprise is not installed: {APPRISE_INSTALL}")
        return value

    @field_validator("events", mode="before")
    @classmethod
    def _events(cls, value: Any) -> Any:
        return None if value is None else _check_names(value, EVENTS, "event")

    @field_validator("jobs", mode="before")
    @classmethod
    def _jobs(cls, value: Any) -> Any:
        return None if value is None else _check_names(value, JOBS, "job")

    @field_validator("start", "success", "fail")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value and not value.startswith(("/", "?", "&")):
            raise ValueError(f"expected a suffix that starts with /, ? or &, got {value!r}")
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value or value.startswith(".")):
            raise ValueError(f"expected a credential name such as webhook-acme, got {value!r}")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> NotifyHook:
        kinds = [k for k in NOTIFY_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "each notify entry has exactly one of webhook, healthchecks or apprise"
                + (f" (this one has {' and '.join(kinds)})" if kinds else "")
            )
        kind = kinds[0]
        if kind == "webhook" and self.secret is None:
            raise ValueError(
                "a webhook needs `secret`: the name of the credential that holds its "
                "whsec_… signing key"
            )
        if kind != "webhook" and self.secret is not None:
            raise ValueError("`secret` belongs to webhook entries only")
        if kind == "healthchecks" and self.events is not None:
            raise ValueError("a healthchecks entry follows `jobs`, not `events`")
        if kind != "healthchecks" and self.jobs is not None:
            raise ValueError("`jobs` belongs to healthchecks entries; webhooks follow `events`")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in NOTIFY_KINDS if getattr(self, k) is not None)

    @property
    def url(self) -> str:
        return getattr(self, self.kind)

    def follows_event(self, event: str) -> bool:
        if self.kind == "apprise":
            return event in (self.events or ["job.failed"])
        return self.kind == "webhook" and (self.events is None or event in self.events)

    def follows_job(self, job: str) -> bool:
        return self.kind == "healthchecks" and (self.jobs is None or job in self.jobs)


class _ConfigModel(_Strict):
    stack: StackConfig = Field(default_factory=StackConfig)
    encryption: EncryptionConfig | None = None
    auth: AuthConfig = Field(default_factory=AuthConfig)
    policy: Path = Field(Path("/etc/wazo-rec-tools/policy.yml"), strict=False)
    export: ExportConfig = Field(default_factory=ExportConfig)
    mirror: MirrorConfig = Field(default_factory=MirrorConfig)
    notify: list[NotifyHook] = Field(default_factory=list)
    metrics: Path | None = Field(None, strict=False)

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"expected a file path, got {value!r}")
        if isinstance(value, str) and not value.endswith(".prom"):
            raise ValueError(
                f"node_exporter's textfile collector reads *.prom files only, got {value!r}"
            )
        return value

    @field_validator("policy", mode="before")
    @classmethod
    def _policy(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"expected a file path, got {value!r}")
        return value


@dataclass(frozen=True)
class Config:
    """The loaded configuration, with relative paths resolved against the file's folder."""

    stack: StackConfig
    auth: AuthConfig
    policy: Path
    export: ExportConfig
    mirror: MirrorConfig = field(default_factory=MirrorConfig)
    path: Path | None = None
    document: Document | None = None
    encryption: EncryptionConfig | None = None
    notify: tuple[NotifyHook, ...] = ()
    metrics: Path | None = None
    searched: Path | None = None  # the default file looked for and not found (defaults in use)

    def where(self, *loc: str | int) -> str:
        """`file:line:col` of a key, for errors about values read from the config."""
        if self.document is None:
            return "(defaults)"
        mark = self.document.locate(tuple(loc))
        return f"{self.document.path}:{mark}"


def default_path() -> Path:
    return Path(os.environ.get("WAZO_REC_CONFIG") or DEFAULT_PATH)


def load_config(path: Path | str | None = None, *, required: bool = False) -> Config:
    """Load and validate the config; every problem at once as `file:line:col: message`.

    Without a file at the default path, the defaults apply (on-stack use needs none).
    """
    explicit = path is not None or "WAZO_REC_CONFIG" in os.environ
    cfg_path = Path(path) if path is not None else default_path()
    try:
        found = cfg_path.exists()
    except PermissionError:
        # the folder itself cannot be searched: say so, whether the file is there or not
        raise InputErrors([f"{cfg_path}: permission denied ({readable_hint(cfg_path)})"]) from None
    if not found and not (explicit or required):
        defaults = ExportConfig()
        specs, _ = check_entries(None, ("export", "destinations"), defaults.destinations)
        export = defaults.model_copy(update={"destinations": specs})
        return Config(StackConfig(), AuthConfig(), _ConfigModel().policy, export, searched=cfg_path)
    doc = load_file(cfg_path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise InputErrors([f"{cfg_path}:1:1: the configuration must be a mapping of sections"])
    try:
        model = _ConfigModel.model_validate(data)
    except ValidationError as exc:
        raise InputErrors(pydantic_problems(doc, exc)) from None
    base = cfg_path.resolve().parent

    def resolve(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else base / p

    auth = model.auth.model_copy(
        update={
            "refresh_token_file": resolve(model.auth.refresh_token_file),
            "password_file": resolve(model.auth.password_file),
        }
    )
    specs, problems = check_entries(doc, ("export", "destinations"), model.export.destinations)
    mirrored, more = check_entries(doc, ("mirror", "destinations"), model.mirror.destinations)
    problems += more
    problems += _check_encryption(doc, model.encryption)
    if problems:
        raise InputErrors(problems)
    export = model.export.model_copy(
        update={"state_dir": resolve(model.export.state_dir), "destinations": specs}
    )
    stack = model.stack
    if isinstance(stack.verify_certificate, str):
        # a CA file to pin; requests would fail late with an OSError on a missing one
        ca = resolve(Path(stack.verify_certificate))
        assert ca is not None
        if not ca.is_file():
            where = f"{cfg_path}:{doc.locate(('stack', 'verify_certificate'))}"
            raise InputErrors(
                [
                    f"{where}: stack.verify_certificate: no CA certificate file {ca} "
                    "(give the stack's CA file, or true for the system's CAs)"
                ]
            )
        stack = stack.model_copy(update={"verify_certificate": str(ca)})
    return Config(
        stack=stack,
        auth=auth,
        policy=resolve(model.policy),
        export=export,
        mirror=model.mirror.model_copy(update={"destinations": mirrored}),
        path=cfg_path,
        document=doc,
        encryption=model.encryption,
        notify=tuple(model.notify),
        metrics=resolve(model.metrics),
    )


def _check_encryption(doc: Document, encryption: EncryptionConfig | None) -> list[str]:
    """Each recipient parsed now, so a typo is found by `status`, not by the weekly run."""
    if encryption is None:
        return []
    from .destinations.encryption import parse_recipient
    from .errors import UserError

    problems = []
    for index, recipient in enumerate(encryption.age_recipients):
        at = ("encryption", "age_recipients", index)
        try:
            parse_recipient(recipient)
        except UserError as exc:  # pyrage missing
            return [f"{doc.path}:{doc.locate(at)}: encryption.age_recipients: {exc}"]
        except ValueError as exc:
            problems.append(
                f"{doc.path}:{doc.locate(at)}: encryption.age_recipients.{index}: {exc}"
            )
    return problems


def destination_specs(settings: ExportConfig | MirrorConfig) -> list[DestinationSpec]:
    """`export.destinations` (or the mirror's) as checked entries (settings built in code
    hold URLs)."""
    section = "mirror" if isinstance(settings, MirrorConfig) else "export"
    specs, problems = check_entries(None, (section, "destinations"), settings.destinations)
    if problems:
        raise InputErrors(problems)
    return specs
