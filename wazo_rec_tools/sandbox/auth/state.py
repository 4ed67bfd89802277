"""wazo-auth state: users, policies, access tokens, refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..routing import TokenInfo

DEFAULT_EXPIRATION = 7200  # docs/wazo-api.md (auth §1) default_token_lifetime
MAX_EXPIRATION = 315_360_000  # docs/wazo-api.md (auth §1) TEN_YEARS


@dataclass
class AuthState:
    """Everything wazo-auth holds. Handlers change it under `Store.lock`.

    users: uuid -> {uuid, tenant_uuid, username, password, purpose, firstname, lastname,
        emails [{address, confirmed, main}], enabled, authentication_method, policies [uuid]}.
    policies: uuid -> {uuid, tenant_uuid, name, slug, description, acl, read_only, shared}.
    tokens: access token -> TokenInfo (an expired token is treated as unknown).
    xivo_uuid: the stack's uuid, shown in token data.
    refresh_tokens: refresh token -> {token, client_id, user_uuid, tenant_uuid, created_at,
        mobile, metadata}; at most one per (user, client_id) (docs/wazo-api.md, auth §1).
    """

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, TokenInfo] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    xivo_uuid: str = ""

    def add_user(self, user: dict[str, Any]) -> dict[str, Any]:
        self.users[user["uuid"]] = user
        self.usernames[user["username"].lower()] = user["uuid"]
        return user

    def user_by_login(self, login: str) -> dict[str, Any] | None:
        """The user whose username, or confirmed e-mail address, is `login`."""
        uuid = self.usernames.get(login.lower())
        if uuid is not None:
            return self.users[uuid]
        for user in self.users.values():
            for email in user.get("emails", ()):
                if email.get("confirmed") and email["address"].lower() == login.lower():
                    return user
        return None

    def user_acl(self, user_uuid: str) -> list[str]:
        """The ACL a new token of that user gets: the union of its policies' ACLs, in order."""
        acl: list[str] = []
        for policy_uuid in self.users[user_uuid]["policies"]:
            for access in self.policies[policy_uuid]["acl"]:
                if access not in acl:
                    acl.append(access)
        return acl

    def refresh_token_of(self, user_uuid: str, client_id: str) -> dict[str, Any] | None:
        for refresh in self.refresh_tokens.values():
            if refresh["user_uuid"] == user_uuid and refresh["client_id"] == client_id:
                return refresh
        return None

    def live_token(self, token: str, now: float) -> TokenInfo | None:
        """The token if it exists and has not expired."""
        info = self.tokens.get(token)
        if info is None or info.expires_at <= now:
            return None
        return info
