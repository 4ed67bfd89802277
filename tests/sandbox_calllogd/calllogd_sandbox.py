"""A small seed spec, directly minted tokens and a bare HTTP client for the sandbox tests."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from wazo_rec_tools.sandbox import Sandbox, SeedSpec, TokenInfo

NOW = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)  # a Monday
CALLLOGD = "/api/call-logd/1.0"
CALLD = "/api/calld/1.0"


def small_spec(**overrides: Any) -> SeedSpec:
    values: dict[str, Any] = {
        "seed": 7,
        "tenants": 2,
        "users": 12,
        "weeks": 3,
        "cdrs_per_week": 15,
        "recording_size": 4_000,
        "calls": 4,
        "now": NOW,
    }
    values.update(overrides)
    return SeedSpec(**values)


def mint_token(
    sb: Sandbox,
    tenant: str,
    acl: list[str] | None = None,
    *,
    pbx_user_uuid: str | None = None,
) -> str:
    """An access token of a user of `tenant` (uuid or slug), straight into wazo-auth's state."""
    tenant_uuid = sb.store.tenant(tenant)["uuid"]
    token = str(uuid.uuid4())
    with sb.store.lock:
        sb.store.auth.tokens[token] = TokenInfo(
            token=token,
            user_uuid=pbx_user_uuid or str(uuid.uuid4()),
            tenant_uuid=tenant_uuid,
            acl=list(acl if acl is not None else ["#"]),
            purpose="user",
            pbx_user_uuid=pbx_user_uuid,
            expires_at=time.time() + 3600,
            client_id=None,
            session_uuid=str(uuid.uuid4()),
        )
    return token


class Api:
    """requests against the sandbox with a token and an optional Wazo-Tenant."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.session = requests.Session()

    def tenant(self, uuid_or_slug: str) -> str:
        return self.sb.store.tenant(uuid_or_slug)["uuid"]

    def call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = {"X-Auth-Token": token, **(headers or {})}
        if tenant is not None:
            sent["Wazo-Tenant"] = self.tenant(tenant)
        return self.session.request(method, self.sb.url + path, headers=sent, timeout=10, **kwargs)

    def wait_export(self, export_uuid: str, token: str, deadline: float = 10.0) -> dict:
        """Poll GET /exports/{uuid} until the export is finished or failed."""
        end = time.monotonic() + deadline
        while True:
            export = self.call("GET", f"{CALLLOGD}/exports/{export_uuid}", token).json()
            if export["status"] in ("finished", "error") or time.monotonic() > end:
                return export
            time.sleep(0.01)
