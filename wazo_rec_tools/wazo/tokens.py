"""Access tokens: minted from a password or a refresh token, renewed on 401, revoked at the end.

docs/wazo-api.md, auth §1: a refresh token is used with its client id and no Basic credentials; it
does not rotate, so the same one keeps working. Tokens are revoked when done because users are
capped at 100 live sessions.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import AuthClient

DEFAULT_EXPIRATION = 3600
RENEW_MARGIN = 60  # seconds before expiry at which a token is renewed before use


class TokenSource:
    """Hands out a valid access token; thread-safe."""

    renewable = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: float = 0.0
        self.info: dict[str, Any] = {}

    def get(self) -> str:
        with self._lock:
            if self._token is None or (
                self.renewable and time.time() > self._expires_at - RENEW_MARGIN
            ):
                self._mint()
            assert self._token is not None
            return self._token

    def renew(self, stale: str | None = None) -> str:
        """A new token, unless another thread already replaced `stale`."""
        with self._lock:
            if self._token is None or stale is None or self._token == stale:
                self._mint()
            assert self._token is not None
            return self._token

    def revoke(self) -> None:
        with self._lock:
            token, self._token = self._token, None
        if token is not None:
            self._revoke(token)

    def _mint(self) -> None:
        data = self._create()
        self._token = data["token"]
        self.info = {k: v for k, v in data.items() if k not in ("token", "refresh_token")}
        self._expires_at = _expiry(data)

    def _create(self) -> dict:
        raise NotImplementedError

    def _revoke(self, token: str) -> None:
        pass

    @property
    def tenant_uuid(self) -> str | None:
        if not self.info:
            self.get()
        return (self.info.get("metadata") or {}).get("tenant_uuid")

    @property
    def user_uuid(self) -> str | None:
        if not self.info:
            self.get()
        return self.info.get("auth_id")


class _MintedTokens(TokenSource):
    renewable = True

    def __init__(self, auth: AuthClient, expiration: int):
        super().__init__()
        self.auth = auth
        self.expiration = expiration

    def _revoke(self, token: str) -> None:
        self.auth.revoke_token(token)


class PasswordTokens(_MintedTokens):
    """Tokens for an admin who logs in with a username and password."""

    def __init__(
        self, auth: AuthClient, username: str, password: str, expiration: int = DEFAULT_EXPIRATION
    ):
        super().__init__(auth, expiration)
        self.username = username
        self._password = password
        auth.http.redact.secrets.add(password)

    def _create(self) -> dict:
        data = self.auth.create_token(
            username=self.username, password=self._password, expiration=self.expiration
        )
        self.auth.http.redact.secrets.add(data["token"])
        return data


class RefreshTokens(_MintedTokens):
    """Tokens for the service account, from its refresh token and client id."""

    def __init__(
        self,
        auth: AuthClient,
        refresh_token: str,
        client_id: str,
        expiration: int = DEFAULT_EXPIRATION,
    ):
        super().__init__(auth, expiration)
        self._refresh_token = refresh_token
        self.client_id = client_id
        auth.http.redact.secrets.add(refresh_token)

    def _create(self) -> dict:
        data = self.auth.token_from_refresh(
            self._refresh_token, self.client_id, expiration=self.expiration
        )
        self.auth.http.redact.secrets.add(data["token"])
        return data


def _expiry(data: dict) -> float:
    # docs/wazo-api.md, auth §1: use utc_expires_at (naive UTC), not expires_at (server-local)
    raw = data.get("utc_expires_at")
    if raw:
        try:
            return datetime.fromisoformat(raw).replace(tzinfo=UTC).timestamp()
        except ValueError:
            pass
    return time.time() + 300
