"""Emulated wazo-auth: tokens, refresh tokens, tenants, users, policies, status.

See docs/wazo-api.md (auth).
"""

from ..routing import Router
from . import policies, refresh_tokens, status, tenants, tokens, user_policy, users


def register(router: Router) -> None:
    for module in (tokens, refresh_tokens, tenants, users, policies, user_policy, status):
        module.register(router)
