"""The configured `notify:` entries, ready to use: webhooks with their signing key, pings,
Apprise. Also how each is shown: a URL may carry a token (a ping uuid, a password in an
Apprise URL), so only enough of it to recognise it is ever printed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from .. import secrets
from ..config import EVENTS, JOBS, NOTIFY_TIMEOUT, Config, NotifyHook
from ..errors import UserError
from .webhooks import signing_key

APPRISE_BODY_LIMIT = 4000  # chat and e-mail bodies: the tail of the log, short


@dataclass(frozen=True)
class Hook:
    index: int
    entry: NotifyHook
    where: str  # file:line:col of the entry
    key: bytes | None = None  # webhooks: the HMAC key (never shown)

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def timeout(self) -> float:
        return self.entry.timeout

    @property
    def outbox_key(self) -> str:
        """How the outbox names this hook: a digest, so the state file holds no URL."""
        return f"{self.kind}:{hashlib.sha256(self.entry.url.encode()).hexdigest()[:16]}"

    @property
    def label(self) -> str:
        return f"{self.kind} {display_url(self.entry.url, self.kind)}"

    def __repr__(self) -> str:  # the key stays out of any debug output
        return f"Hook({self.label})"


def configured(config: Config) -> list[Hook]:
    """The entries without their secrets (status, dry runs)."""
    return [Hook(i, entry, config.where("notify", i)) for i, entry in enumerate(config.notify)]


def load(config: Config) -> list[Hook]:
    """The entries with each webhook's key read from its credential.

    A missing, unreadable, group-readable or malformed secret is a config error (exit 1
    before the job does anything), not a warning at the end of the run.
    """
    hooks = []
    for hook in configured(config):
        if hook.kind == "webhook":
            assert hook.entry.secret is not None
            where = config.where("notify", hook.index, "secret")
            value = secrets.named_credential(hook.entry.secret, where)
            hook = Hook(hook.index, hook.entry, hook.where, signing_key(value, where))
        hooks.append(hook)
    return hooks


def check(config: Config) -> list[tuple[Hook, str | None]]:
    """Each hook with its problem, if any, found without calling it (`status`)."""
    found = []
    for hook in configured(config):
        problem = url_problem(hook.entry.url, hook.kind)
        if problem is None and hook.kind == "webhook":
            try:
                load_one = secrets.named_credential(
                    hook.entry.secret or "", config.where("notify", hook.index, "secret")
                )
                signing_key(load_one, config.where("notify", hook.index, "secret"))
            except UserError as exc:
                problem = str(exc)
        found.append((hook, problem))
    return found


def url_problem(url: str, kind: str) -> str | None:
    if kind == "apprise":
        return None if "://" in url else "not an Apprise URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "the URL must be https:// (or http://)"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "the URL must not carry credentials"
    return None


def display_url(url: str, kind: str) -> str:
    """`https://hc-ping.com/5d1c…`: the host and the start of the path, never a query."""
    if kind == "apprise":
        return url.split("://", 1)[0] + "://…"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(malformed URL)"
    path = parts.path
    if kind == "healthchecks" and len(path) > 9:
        path = path[:9] + "…"  # a ping URL's uuid is its only credential
    elif parts.query:
        path += "?…"
    return f"{parts.scheme}://{host}{port}{path}"


__all__ = ["EVENTS", "JOBS", "NOTIFY_TIMEOUT", "Hook", "check", "configured", "display_url", "load"]
