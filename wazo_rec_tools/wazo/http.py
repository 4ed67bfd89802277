"""The HTTP layer every Wazo call goes through.

One session per stack, timeouts on every call, retries with backoff for idempotent methods
(connection failures, 502/503/504), one token renewal on 401, the `Wazo-Tenant` header on
request, and one exception type, `ApiError`, carrying the server's message whatever its shape.
The token travels in the `X-Auth-Token` header only; exceptions and logs never carry it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import ijson
import requests
import urllib3

from .. import durable
from ..errors import UserError

if TYPE_CHECKING:
    from .tokens import TokenSource

log = logging.getLogger(__name__)
T = TypeVar("T")


class _TokenPathFilter(logging.Filter):
    """urllib3 logs request lines at DEBUG; docs/wazo-api.md, auth §2 puts tokens in some paths."""

    _pattern = re.compile(r"(/token/)[^/\s?\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/token/" in message:
            record.msg, record.args = self._pattern.sub(r"\1***", message), None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_TokenPathFilter())

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
CHUNK = 1024 * 1024
STREAM_CHUNK = 64 * 1024  # a list answer is parsed as it arrives, this much at a time
_REDACTED = "***"

Timeout = float | tuple[float, float]  # seconds, or (connect, read) as requests takes them


class ApiError(UserError):
    """A Wazo request that failed: HTTP error status, or no answer at all (status None)."""

    def __init__(
        self,
        service: str,
        method: str,
        path: str,
        status: int | None,
        message: str,
        *,
        error_id: str | None = None,
        details: dict | None = None,
    ):
        self.service = service
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.error_id = error_id
        self.details = details or {}
        where = f"{service}: {method} {path}"
        what = f"{status}: {message}" if status is not None else message
        super().__init__(f"{where} -> {what}")


@dataclass
class Download:
    size: int
    sha256: str


@dataclass
class _Redactor:
    """Strings that must never leave the process (tokens, passwords)."""

    secrets: set[str] = field(default_factory=set)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, _REDACTED)
        return text


def error_message(response: requests.Response) -> tuple[str, str | None, dict]:
    """The server's message, whatever the service's error shape (see the fact sheets)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or f"HTTP {response.status_code}", None, {}
    if isinstance(body, list):  # docs/wazo-api.md, confd §7: a list of strings
        return "; ".join(str(item) for item in body) or response.reason, None, {}
    if isinstance(body, dict):
        if "reason" in body and "message" not in body:  # docs/wazo-api.md, auth §7 legacy shape
            reason = body["reason"]
            text = "; ".join(map(str, reason)) if isinstance(reason, list) else str(reason)
            return text, None, {}
        message = str(body.get("message") or response.reason)
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        if body.get("error_id") == "invalid-data" and details:
            # docs/wazo-api.md, call-logd §10: the useful part of a validation error is in details
            message = f"{message} ({_summarise_details(details)})"
        return message, body.get("error_id"), details
    if isinstance(body, str) and body:
        return body, None, {}
    return response.reason or f"HTTP {response.status_code}", None, {}


def _summarise_details(details: dict) -> str:
    parts = []
    for key, value in details.items():
        if isinstance(value, dict) and "message" in value:
            parts.append(f"{key}: {value['message']}")
        elif isinstance(value, list):
            msgs = [v.get("message", str(v)) if isinstance(v, dict) else str(v) for v in value]
            parts.append(f"{key}: {', '.join(msgs)}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


class HttpClient:
    """Requests to one Wazo service under one base URL."""

    def __init__(
        self,
        service: str,
        base_url: str,
        session: requests.Session,
        *,
        timeout: float = 10.0,
        tokens: TokenSource | None = None,
        retries: int = 3,
        backoff: float = 0.25,
        redact: _Redactor | None = None,
        verify: bool | str | None = None,
    ):
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.session = session
        # passed on every request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a
        # session's `verify`, and a pinned CA or `false` in the config must win over those
        self.verify = session.verify if verify is None else verify
        self.timeout = timeout
        self.tokens = tokens
        self.retries = retries
        self.backoff = backoff
        self.redact = redact or _Redactor()

    # -- the one request path -------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        tenant: str | None = None,
        expect: Iterable[int] = (200, 201, 202, 204),
        stream: bool = False,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> requests.Response:
        method = method.upper()
        shown_path = self.redact(path)
        expect = tuple(expect)
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            send_headers = {"Accept": "application/json"}
            token = None
            if auth and self.tokens is not None:
                token = self.tokens.get()
                send_headers["X-Auth-Token"] = token
            if tenant:
                send_headers["Wazo-Tenant"] = tenant
            if headers:
                send_headers.update(headers)
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    params=_encode_params(params),
                    json=json,
                    headers=send_headers,
                    timeout=timeout or self.timeout,
                    stream=stream,
                    verify=self.verify,
                )
            except requests.RequestException as exc:
                if attempt < attempts:
                    self._sleep(attempt, f"{type(exc).__name__}")
                    continue
                raise ApiError(
                    self.service, method, shown_path, None, self._describe_failure(exc, timeout)
                ) from None
            status = response.status_code
            if status in expect:
                return response
            if status in RETRY_STATUSES and attempt < attempts:
                response.close()
                self._sleep(attempt, f"HTTP {status}")
                continue
            if status == 401 and token is not None and not renewed and self.tokens.renewable:
                response.close()
                renewed = True
                self.tokens.renew(stale=token)
                attempt -= 1  # a renewal is not a retry
                continue
            raise self._error(method, shown_path, response, token is not None)

    def _error(
        self, method: str, path: str, response: requests.Response, authenticated: bool
    ) -> ApiError:
        message, error_id, details = error_message(response)
        message = self.redact(message)
        if response.status_code == 401 and authenticated:
            # docs/wazo-api.md, confd §7: a 401 body may be the token itself; say what it means
            # instead
            message = (
                "unauthorized: the token was refused (expired, missing permission "
                "or tenant not visible to it)"
            )
            if details.get("required_access"):
                message += f"; it needs {details['required_access']}"
        return ApiError(
            self.service,
            method,
            path,
            response.status_code,
            message,
            error_id=error_id,
            details=json_safe(details, self.redact),
        )

    def _describe_failure(
        self, exc: requests.RequestException, timeout: Timeout | None = None
    ) -> str:
        base = self.redact(self.base_url)
        if isinstance(exc, requests.exceptions.SSLError):
            return _tls_failure(base, exc, self.verify)
        if isinstance(exc, requests.Timeout):
            waited = timeout or self.timeout
            if isinstance(waited, tuple):
                waited = waited[1] if isinstance(exc, requests.ReadTimeout) else waited[0]
            return f"no answer from {base} within {waited:g}s"
        if isinstance(exc, requests.ConnectionError):
            return f"cannot connect to {base} (is the service running?)"
        return f"request failed: {type(exc).__name__}"

    def _sleep(self, attempt: int, why: str) -> None:
        delay = self.backoff * (2 ** (attempt - 1))
        log.debug("%s: retrying after %s in %.2fs", self.service, why, delay)
        time.sleep(delay)

    # -- conveniences ---------------------------------------------------------------------

    def get_json(self, path: str, *, params: dict | None = None, tenant: str | None = None) -> Any:
        return self.request("GET", path, params=params, tenant=tenant, expect=(200,)).json()

    def paginate(
        self,
        path: str,
        *,
        params: dict | None = None,
        tenant: str | None = None,
        page_size: int = 1000,
        items_key: str = "items",
    ) -> Iterator[dict]:
        """Every item of a `{items, total}` list, one page at a time (limit/offset)."""
        offset = 0
        while True:
            page_params = dict(params or {}, limit=page_size, offset=offset)
            body = self.get_json(path, params=page_params, tenant=tenant)
            items = body.get(items_key) or []
            yield from items
            offset += len(items)
            total = body.get("filtered", body.get("total"))
            if len(items) < page_size or (total is not None and offset >= total):
                return

    def stream_items(
        self,
        path: str,
        trim: Callable[[dict], T],
        *,
        params: dict | None = None,
        tenant: str | None = None,
        read_timeout: float | None = None,
        items_key: str = "items",
    ) -> list[T]:
        """Every item of one `{items, total}` answer, each passed through `trim` as it arrives.

        The body is parsed as a stream (ijson's C backend), so a list of 50,000 full objects
        never sits whole in memory: only the trimmed values do. `read_timeout` is the longest
        wait for the next bytes (the server may think for a while before its first byte);
        connecting keeps the usual timeout. A stream cut half-way is read again from the start
        (GET is idempotent); a body that is not the expected JSON is an `ApiError`.
        """
        timeout: Timeout = (self.timeout, max(self.timeout, read_timeout or 0.0))
        shown_path = self.redact(path)
        for attempt in range(1, self.retries + 2):
            response = self.request(
                "GET",
                path,
                params=params,
                tenant=tenant,
                expect=(200,),
                stream=True,
                timeout=timeout,
            )
            try:
                with response:
                    reader = _ChunkReader(response.iter_content(STREAM_CHUNK))
                    items = ijson.items(
                        reader, f"{items_key}.item", use_float=True, buf_size=STREAM_CHUNK
                    )
                    found = [trim(item) for item in items]
            except requests.RequestException as exc:
                if attempt <= self.retries:
                    self._sleep(attempt, f"{type(exc).__name__} while reading a list")
                    continue
                raise ApiError(
                    self.service,
                    "GET",
                    shown_path,
                    None,
                    self._describe_failure(exc, timeout)
                    if isinstance(exc, requests.Timeout)
                    else f"answer interrupted: {type(exc).__name__}",
                ) from None
            except ijson.JSONError as exc:
                raise ApiError(
                    self.service, "GET", shown_path, 200, f"malformed JSON list: {exc}"
                ) from None
            return found
        raise AssertionError("unreachable")

    def download(
        self,
        path: str,
        dest: Path,
        *,
        params: dict | None = None,
        tenant: str | None = None,
        progress: Any = None,
        sync: bool = True,
    ) -> Download:
        """Stream a body into `dest` (never whole in memory), return size and sha256.

        `dest` appears only complete and fsynced (`durable.stream_into`: `<dest>.part` until
        then; `sync=False` skips the fsync, for a copy hashed again before use). A stream cut
        half-way is fetched again from the start (GET is idempotent).
        """
        for attempt in range(1, self.retries + 2):
            response = self.request(
                "GET", path, params=params, tenant=tenant, expect=(200,), stream=True
            )
            digest = hashlib.sha256()
            size = 0
            try:
                # recordings are personal data: files start private (0600), callers may widen
                with response, durable.stream_into(dest, 0o600, sync=sync) as out:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if progress is not None:
                            progress(len(chunk))
                    expected = response.headers.get("Content-Length")
                    if (
                        expected is not None
                        and int(expected) != size
                        and "Content-Encoding" not in response.headers
                    ):
                        raise ApiError(
                            self.service,
                            "GET",
                            self.redact(path),
                            200,
                            f"download truncated: {size} of {expected} bytes",
                        )
            except requests.RequestException as exc:
                if attempt <= self.retries:
                    self._sleep(attempt, f"{type(exc).__name__} during download")
                    continue
                raise ApiError(
                    self.service,
                    "GET",
                    self.redact(path),
                    None,
                    f"download interrupted: {type(exc).__name__}",
                ) from None
            return Download(size=size, sha256=digest.hexdigest())
        raise AssertionError("unreachable")


def _tls_failure(base: str, exc: Exception, verify: bool | str) -> str:
    """One line for a refused certificate: why, and what to do (pin the stack's CA)."""
    text = str(exc)
    start = f"TLS certificate check failed for {base}"
    if "address mismatch" in text or "Hostname mismatch" in text:  # OpenSSL's verify messages
        return (
            f"{start}: the certificate is for another host name; put a name it is issued for "
            "in stack.url"
        )
    if "expired" in text:
        return f"{start}: the certificate has expired"
    if isinstance(verify, str):
        return f"{start}: it is not signed by the CA pinned in stack.verify_certificate ({verify})"
    self_signed = "self-signed" in text or "self signed" in text
    why = (
        "the certificate is self-signed"
        if self_signed
        else "the certificate's issuer is not trusted"
    )
    return (
        f"{start}: {why}; pin the stack's CA: set "
        "stack.verify_certificate to its CA certificate file (on a Wazo stack, the nginx "
        "certificate, e.g. /usr/share/wazo-certs/server.crt)"
    )


class _ChunkReader:
    """`read(n)` over byte chunks: the file ijson reads (3x faster than feeding its coroutine)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._left = b""

    def read(self, size: int = -1) -> bytes:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._left = chunk
        if size < 0 or size >= len(self._left):
            out, self._left = self._left, b""
        else:
            out, self._left = self._left[:size], self._left[size:]
        return out


def _encode_params(params: dict[str, Any] | None) -> dict[str, str] | None:
    """Query values as Wazo expects them: booleans as true/false, None left out."""
    if not params:
        return None
    encoded = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        elif hasattr(value, "isoformat"):
            encoded[key] = value.isoformat()
        else:
            encoded[key] = str(value)
    return encoded


def json_safe(value: Any, redact: _Redactor) -> Any:
    """A copy of an error's details with every secret replaced."""
    return json.loads(redact(json.dumps(value)))


POOL_SIZE = 10  # connections kept per host when nothing runs in parallel


def make_session(verify: bool | str, pool_size: int = POOL_SIZE) -> requests.Session:
    session = requests.Session()
    session.verify = verify
    if verify is False:
        # said once per run by the caller (`insecure_warning`), not once per request
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    size_pool(session, pool_size)
    session.headers["User-Agent"] = "wazo-rec-tools"
    return session


def size_pool(session: requests.Session, size: int) -> None:
    """Keep up to `size` connections per host, one per thread that may run at once.

    A pool smaller than the threads using it discards connections ("Connection pool is full"
    on stderr) and opens new ones. Called before the threads start: the old pools are closed.
    """
    current = session.adapters.get("https://")
    if isinstance(current, _SizedAdapter) and current.size == size:
        return
    adapter = _SizedAdapter(size)
    for prefix in ("http://", "https://"):
        old = session.adapters.get(prefix)
        session.mount(prefix, adapter)
        if old is not None and old is not adapter:
            old.close()


class _SizedAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        # 4 services, each maybe on its own port (direct layout): 4 host pools
        super().__init__(pool_connections=4, pool_maxsize=self.size)


def insecure_warning(verify: bool | str) -> str | None:
    """The one line said on every run that does not check the stack's certificate."""
    if verify is not False:
        return None
    return (
        "warning: stack.verify_certificate is false: the stack's TLS certificate is not "
        "checked, so anyone on the path can read the token and recordings; pin the stack's "
        "CA instead (stack.verify_certificate: /path/to/ca.pem)"
    )
