"""wazo-auth: tokens, tenants, users, policies (docs/wazo-api.md, auth)."""

from __future__ import annotations

import contextlib
from typing import Any

from .http import ApiError, HttpClient


class AuthClient:
    def __init__(self, http: HttpClient):
        self.http = http

    # -- tokens (no X-Auth-Token: these create or check tokens) ---------------------------

    def create_token(
        self,
        *,
        username: str,
        password: str,
        expiration: int = 3600,
        access_type: str | None = None,
        client_id: str | None = None,
    ) -> dict:
        body: dict[str, Any] = {"expiration": expiration}
        if access_type:
            body["access_type"] = access_type
        if client_id:
            body["client_id"] = client_id
        response = self.http.request(
            "POST",
            "/token",
            json=body,
            auth=False,
            expect=(200,),
            headers={"Authorization": _basic(username, password)},
        )
        return response.json()["data"]

    def token_from_refresh(
        self, refresh_token: str, client_id: str, *, expiration: int = 3600
    ) -> dict:
        # docs/wazo-api.md, auth §1: refresh_token + client_id in the body, no Basic credentials
        body = {"refresh_token": refresh_token, "client_id": client_id, "expiration": expiration}
        response = self.http.request("POST", "/token", json=body, auth=False, expect=(200,))
        return response.json()["data"]

    def create_refresh_token(self, *, username: str, password: str, client_id: str) -> str:
        """The refresh token of `username` for `client_id` (docs/wazo-api.md, auth §1: one per
        user and client id)."""
        data = self.create_token(
            username=username,
            password=password,
            expiration=60,
            access_type="offline",
            client_id=client_id,
        )
        refresh = data["refresh_token"]
        self.http.redact.secrets.update({refresh, data["token"]})
        self.revoke_token(data["token"])
        return refresh

    def revoke_token(self, token: str) -> None:
        """DELETE /token/{t}; best effort (docs/wazo-api.md, auth §2: 200 even for unknown
        tokens)."""
        self.http.redact.secrets.add(token)
        with contextlib.suppress(ApiError):
            self.http.request("DELETE", f"/token/{token}", auth=False, expect=(200, 204, 404))

    def check_scopes(
        self, token: str, scopes: list[str], *, tenant: str | None = None
    ) -> dict[str, bool]:
        self.http.redact.secrets.add(token)
        body: dict[str, Any] = {"scopes": scopes}
        if tenant:
            body["tenant_uuid"] = tenant
        response = self.http.request(
            "POST", f"/token/{token}/scopes/check", json=body, auth=False, expect=(200,)
        )
        return response.json()["scopes"]  # docs/wazo-api.md, auth §2: a dict, not the spec's list

    def status(self) -> None:
        self.http.request("HEAD", "/status", auth=False, expect=(200,))

    # -- tenants ---------------------------------------------------------------------------

    def tenants(self, **filters: Any) -> list[dict]:
        # docs/wazo-api.md, auth §4: always the scoping tenant and every descendant
        return list(self.http.paginate("/tenants", params=filters, page_size=500))

    # -- users and policies (export setup) ---------------------------------------------------

    def create_user(
        self,
        *,
        username: str,
        password: str,
        purpose: str = "external_api",
        tenant: str | None = None,
        **extra: Any,
    ) -> dict:
        self.http.redact.secrets.add(password)
        body = {"username": username, "password": password, "purpose": purpose, **extra}
        return self.http.request("POST", "/users", json=body, tenant=tenant, expect=(200,)).json()

    def find_user(self, username: str, *, tenant: str | None = None) -> dict | None:
        body = self.http.get_json(
            "/users", params={"username": username, "recurse": True}, tenant=tenant
        )
        return next((u for u in body.get("items", []) if u.get("username") == username), None)

    def delete_user(self, user_uuid: str) -> None:
        """Deleting a user also deletes its refresh tokens (docs/wazo-api.md, auth §1)."""
        self.http.request("DELETE", f"/users/{user_uuid}", expect=(204,))

    def set_password(self, user_uuid: str, old_password: str | None, new_password: str) -> None:
        self.http.redact.secrets.add(new_password)
        self.http.request(
            "PUT",
            f"/users/{user_uuid}/password",
            json={"old_password": old_password, "new_password": new_password},
            expect=(204,),
        )

    def create_policy(
        self, *, name: str, acl: list[str], description: str = "", tenant: str | None = None
    ) -> dict:
        body = {"name": name, "acl": acl, "description": description}
        return self.http.request(
            "POST", "/policies", json=body, tenant=tenant, expect=(200,)
        ).json()

    def find_policy(self, name: str, *, tenant: str | None = None) -> dict | None:
        body = self.http.get_json(
            "/policies", params={"search": name, "recurse": True}, tenant=tenant
        )
        return next((p for p in body.get("items", []) if p.get("name") == name), None)

    def update_policy(self, uuid: str, *, name: str, acl: list[str], description: str = "") -> None:
        body = {"name": name, "acl": acl, "description": description}
        self.http.request("PUT", f"/policies/{uuid}", json=body, expect=(200, 204))

    def attach_policy(self, user_uuid: str, policy_uuid: str) -> None:
        self.http.request("PUT", f"/users/{user_uuid}/policies/{policy_uuid}", expect=(204,))

    def user_policies(self, user_uuid: str) -> list[dict]:
        return self.http.get_json(f"/users/{user_uuid}/policies").get("items", [])

    def delete_refresh_token(self, user_uuid: str, client_id: str) -> None:
        self.http.request("DELETE", f"/users/{user_uuid}/tokens/{client_id}", expect=(204,))


def _basic(username: str, password: str) -> str:
    import base64

    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")
