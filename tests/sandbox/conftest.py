"""Fixtures for the sandbox's own server-level tests: plain `requests` sessions and tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox

AUTH = "/api/auth/0.1"
CONFD = "/api/confd/1.1"


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[requests.Session]:
    """A bare keep-alive session without any token."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def login(sandbox: Sandbox, http: requests.Session) -> Callable[..., dict[str, Any]]:
    """POST /token with Basic credentials; returns the `data` dict."""

    def do_login(username: str = Sandbox.ADMIN_USERNAME, **body: Any) -> dict[str, Any]:
        response = http.post(
            f"{sandbox.url}{AUTH}/token", auth=(username, Sandbox.ADMIN_PASSWORD), json=body
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    return do_login


def token_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-Auth-Token"] = token
    return session


@pytest.fixture
def root(login) -> Iterator[requests.Session]:
    """A session holding a master-tenant token with ACL `#`."""
    with token_session(login()["token"]) as session:
        yield session


@pytest.fixture
def acme(login) -> Iterator[requests.Session]:
    """A session holding a token of the `acme` tenant admin (ACL `#`, acme's subtree only)."""
    with token_session(login("admin-acme")["token"]) as session:
        yield session


@pytest.fixture
def limited(
    sandbox: Sandbox, root: requests.Session, login
) -> Iterator[Callable[..., requests.Session]]:
    """Sessions for new master-tenant users holding exactly the ACL given."""
    sessions: list[requests.Session] = []

    def make(*acl: str, username: str = "limited") -> requests.Session:
        base = f"{sandbox.url}{AUTH}"
        user = root.post(
            f"{base}/users", json={"username": username, "password": Sandbox.ADMIN_PASSWORD}
        ).json()
        policy = root.post(f"{base}/policies", json={"name": username, "acl": list(acl)}).json()
        assert root.put(f"{base}/users/{user['uuid']}/policies/{policy['uuid']}").status_code == 204
        session = token_session(login(username)["token"])
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
