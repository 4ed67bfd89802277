"""Standard Webhooks: signed POSTs (`webhook-id`, `webhook-timestamp`, `webhook-signature`).

The signature is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the decoded
bytes of a `whsec_<base64>` secret, as that convention's libraries do; the timestamp is the
attempt's (receivers refuse old ones), the id is the event's (receivers deduplicate on it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

import requests

from ..errors import UserError

SECRET_PREFIX = "whsec_"
USER_AGENT = "wazo-rec-tools"


class SecretInvalid(UserError):
    """A webhook secret that is not `whsec_<base64>`."""


def signing_key(secret: str, where: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the message never quotes the secret)."""
    text = secret.strip()
    if not text.startswith(SECRET_PREFIX):
        raise SecretInvalid(f"{where}: the webhook secret must be whsec_<base64>")
    try:
        key = base64.b64decode(text[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SecretInvalid(f"{where}: the webhook secret is not base64 after whsec_") from None
    if len(key) < 16:
        raise SecretInvalid(f"{where}: the webhook secret is shorter than 16 bytes")
    return key


def signature(key: bytes, msg_id: str, timestamp: int, body: str) -> str:
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(key: bytes, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, msg_id, timestamp, body),
    }


@dataclass(frozen=True)
class Attempt:
    ok: bool
    detail: str  # "HTTP 204", "timed out after 10s", ...


def post(url: str, key: bytes, msg_id: str, timestamp: int, body: str, timeout: float) -> Attempt:
    """One delivery attempt; any 2xx is delivered. The outcome never quotes the URL's query."""
    try:
        response = requests.post(
            url,
            data=body.encode(),
            headers=headers(key, msg_id, timestamp, body),
            timeout=timeout,
            allow_redirects=False,  # a redirect would re-send a signed body elsewhere
        )
    except requests.Timeout:
        return Attempt(False, f"timed out after {timeout:g}s")
    except requests.ConnectionError:
        return Attempt(False, "connection failed")
    except requests.RequestException as exc:
        return Attempt(False, type(exc).__name__)
    response.close()
    return Attempt(200 <= response.status_code < 300, f"HTTP {response.status_code}")
