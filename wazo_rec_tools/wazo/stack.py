"""`Wazo`: the four service clients of one stack, sharing one session and one token."""

from __future__ import annotations

from typing import Any

import requests

from ..config import StackConfig
from ..errors import UserError
from .auth import AuthClient
from .calld import CalldClient
from .calllogd import CallLogdClient
from .confd import ConfdClient
from .http import POOL_SIZE, HttpClient, _Redactor, make_session, size_pool
from .tokens import PasswordTokens, RefreshTokens, TokenSource


class Wazo:
    """Clients for auth, confd, call-logd and calld. Use as a context manager: the access token is
    revoked on exit (docs/wazo-api.md, auth §1: sessions are capped)."""

    def __init__(
        self,
        stack: StackConfig,
        *,
        session: requests.Session | None = None,
        retries: int = 3,
        backoff: float = 0.25,
    ):
        verify = stack.verify_certificate
        self.session = session or make_session(verify)
        self.redact = _Redactor()
        self.tokens: TokenSource | None = None

        def http(service: str) -> HttpClient:
            return HttpClient(
                service,
                stack.base_url(service),
                self.session,
                timeout=stack.timeout,
                retries=retries,
                backoff=backoff,
                redact=self.redact,
                verify=verify,
            )

        self._http = {name: http(name) for name in ("auth", "confd", "call-logd", "calld")}
        self.auth = AuthClient(self._http["auth"])
        self.confd = ConfdClient(self._http["confd"])
        self.calllogd = CallLogdClient(self._http["call-logd"])
        self.calld = CalldClient(self._http["calld"])
        self._tenants: list[dict] | None = None

    # -- credentials -----------------------------------------------------------------------

    def use_tokens(self, tokens: TokenSource) -> Wazo:
        self.tokens = tokens
        for client in self._http.values():
            client.tokens = tokens
        return self

    def login(self, username: str, password: str) -> Wazo:
        return self.use_tokens(PasswordTokens(self.auth, username, password))

    def login_refresh(self, refresh_token: str, client_id: str) -> Wazo:
        return self.use_tokens(RefreshTokens(self.auth, refresh_token, client_id))

    def close(self) -> None:
        if self.tokens is not None:
            self.tokens.revoke()
        self.session.close()

    def __enter__(self) -> Wazo:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def size_pool(self, concurrency: int) -> None:
        """Room for `concurrency` requests in flight at once, before starting that many threads."""
        size_pool(self.session, max(concurrency, POOL_SIZE))

    # -- who am I --------------------------------------------------------------------------

    @property
    def token_tenant(self) -> str:
        assert self.tokens is not None
        tenant = self.tokens.tenant_uuid
        assert tenant is not None
        return tenant

    def tenants(self) -> list[dict]:
        """Every tenant visible to the token (docs/wazo-api.md, auth §4), read once."""
        if self._tenants is None:
            self._tenants = self.auth.tenants()
        return self._tenants

    def is_master_token(self) -> bool:
        """Whether the token belongs to the master (top) tenant, needed for global features."""
        mine = self.token_tenant
        for tenant in self.tenants():
            if tenant["uuid"] == mine:
                return tenant.get("parent_uuid") in (None, mine)
        return False

    def resolve_tenant(self, ref: str) -> dict:
        """A tenant by uuid, slug or name (in that order of precedence)."""
        tenants = self.tenants()
        for key in ("uuid", "slug", "name"):
            found = [t for t in tenants if t.get(key) == ref]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise UserError(f"tenant {ref!r} is ambiguous: several tenants have that {key}")
        raise UserError(
            f"tenant {ref!r} not found (by uuid, slug or name) among the tenants this token can see"
        )

    def check_scopes(self, scopes: list[str]) -> dict[str, bool]:
        assert self.tokens is not None
        return self.auth.check_scopes(self.tokens.get(), scopes)
