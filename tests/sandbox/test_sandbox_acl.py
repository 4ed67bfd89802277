"""ACL matching as xivo's AccessCheck does it (docs/wazo-api.md, auth §6)."""

from __future__ import annotations

import pytest

from wazo_rec_tools.sandbox.acl import AccessCheck

USER = "6f1c3a52-3b7e-4f41-9a43-1f2a9f3a0c11"
OTHER = "0b0d1e8a-9e55-4a55-8f7b-6f1d2f6d1a22"
SESSION = "d2a7c0f1-5c1b-4a8e-9a0e-3c0c5e2b9f33"

CASES = [
    # held, required, granted
    (["confd.users.read"], "confd.users.read", True),
    (["confd.users.read"], "confd.users.update", False),
    (["confd.users.*.read"], "confd.users.42.read", True),
    (["confd.users.*.read"], "confd.users.read", False),
    (["call-logd.exports.*.read"], "call-logd.exports.abc.download.read", False),
    (["call-logd.exports.#"], "call-logd.exports.abc.download.read", True),
    (["call-logd.#"], "call-logd.cdr.read", True),
    (["call-logd.#"], "call-logd", False),
    (["#"], "anything.at.all", True),
    (["confd.users"], "confd.users.read", False),
    (["users.read"], "confd.users.read", False),
    (["auth.users.me.tokens.read"], "auth.users.me.tokens.read", True),
    (["auth.users.me.tokens.read"], f"auth.users.{USER}.tokens.read", True),
    (["auth.users.me.tokens.read"], f"auth.users.{OTHER}.tokens.read", False),
    (["auth.sessions.my_session.delete"], f"auth.sessions.{SESSION}.delete", True),
    (["confd.#", "!confd.users.*.update"], "confd.users.3.update", False),
    (["!confd.users.*.update", "confd.#"], "confd.users.3.read", True),
    (["confd.users.*.edit"], "confd.users.3.update", True),
    (["calld.calls.*.read"], "calld.calls.1700000000_12.read", True),
    ([], "confd.users.read", False),
]


@pytest.mark.parametrize(("held", "required", "granted"), CASES)
def test_required_access_matching(held: list[str], required: str, granted: bool) -> None:
    assert AccessCheck(held, USER, SESSION).matches_required_access(required) is granted


GRANT_CASES = [
    (["#"], "auth.tenants.read", True),
    (["confd.#"], "confd.users.*.read", True),
    (["confd.#"], "auth.tenants.read", False),
    (["confd.*"], "confd.#", False),
    (["confd.users.#"], "confd.#", False),
    (["confd.users.read"], "!confd.users.read", True),
]


@pytest.mark.parametrize(("held", "granted_acl", "allowed"), GRANT_CASES)
def test_may_add_access(held: list[str], granted_acl: str, allowed: bool) -> None:
    assert AccessCheck(held, USER, SESSION).may_add_access(granted_acl) is allowed
