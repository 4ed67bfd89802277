"""Healthchecks-style pings: `<url>/start` when a run starts, `<url>` on success, `<url>/fail`.

The suffix of each state is configurable, so that the same entry serves healthchecks.io
(the defaults), cronitor-style URLs (`/run`, `/complete`, `/fail`) and Uptime Kuma push URLs
(`?status=up`, `?status=down`). Success and failure carry the tail of the run's log, capped
like borgmatic's at 100 000 bytes. A ping is never retried later: a stale one means nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests

from .webhooks import USER_AGENT, Attempt

MAX_LOG_BYTES = 100_000
STATES = ("start", "success", "fail")


def ping_url(base: str, suffix: str) -> str:
    """`base` with a state's suffix: a path suffix goes before the query, a query one after."""
    if not suffix:
        return base
    parts = urlsplit(base)
    if suffix.startswith("/"):
        path, _, query = suffix.partition("?")
        merged = "&".join(q for q in (parts.query, query) if q)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path, query=merged))
    query = suffix.lstrip("?&")
    merged = "&".join(q for q in (parts.query, query) if q)
    return urlunsplit(parts._replace(query=merged))


def log_tail(lines: list[str], limit: int = MAX_LOG_BYTES) -> bytes:
    """The last lines of the log that fit in `limit` bytes (whole lines when possible)."""
    data = "\n".join(lines).encode()
    if len(data) <= limit:
        return data
    cut = data[-limit:]
    newline = cut.find(b"\n")
    if 0 <= newline < len(cut) - 1:
        return cut[newline + 1 :]
    start = 0
    while start < len(cut) and cut[start] & 0xC0 == 0x80:  # not in the middle of a character
        start += 1
    return cut[start:]


def send(url: str, body: bytes, timeout: float) -> Attempt:
    try:
        response = requests.post(
            url,
            data=body,
            headers={"user-agent": USER_AGENT, "content-type": "text/plain; charset=utf-8"},
            timeout=timeout,
        )
    except requests.Timeout:
        return Attempt(False, f"timed out after {timeout:g}s")
    except requests.ConnectionError:
        return Attempt(False, "connection failed")
    except requests.RequestException as exc:
        return Attempt(False, type(exc).__name__)
    response.close()
    return Attempt(200 <= response.status_code < 300, f"HTTP {response.status_code}")
