"""Refresh tokens: revoking one (writing one privately is `secrets.write_token_file`).

docs/wazo-api.md, auth §1: one refresh token per (user, client id); a second offline login returns
the same one. docs/wazo-api.md, auth §3: it is removed by DELETE /users/{uuid}/tokens/{client_id}.
The token value never reaches a log line, an exception or output (unless asked for).
"""

from __future__ import annotations

from ..errors import UserError
from ..wazo.http import ApiError
from ..wazo.stack import Wazo


def revoke_refresh_token(wazo: Wazo, client_id: str) -> str:
    """Delete the logged-in user's refresh token for `client_id`; returns the user uuid."""
    assert wazo.tokens is not None
    user_uuid = wazo.tokens.user_uuid
    if not user_uuid:
        raise UserError("the token carries no user uuid: cannot tell whose refresh token to revoke")
    try:
        wazo.auth.delete_refresh_token(user_uuid, client_id)
    except ApiError as exc:
        if exc.error_id == "cannot-find-refresh-token-matching-client-id":
            raise UserError(
                f"user {user_uuid} has no refresh token for client id {client_id!r}: "
                "nothing to revoke"
            ) from None
        raise
    return user_uuid
