"""Fixtures: a small seeded sandbox, a bare HTTP client, tokens of the master and acme tenants."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from calllogd_sandbox import Api, mint_token, small_spec

from wazo_rec_tools.sandbox import Sandbox


@pytest.fixture
def sb(tmp_path) -> Iterator[Sandbox]:
    sandbox = Sandbox(small_spec(), spool_dir=tmp_path / "spool", export_delay=0.05)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def api(sb) -> Iterator[Api]:
    client = Api(sb)
    yield client
    client.session.close()


@pytest.fixture
def root(sb) -> str:
    """A token of the master tenant with every ACL (like `root`)."""
    return mint_token(sb, sb.store.master_tenant_uuid)


@pytest.fixture
def acme(sb) -> str:
    """A token of the `acme` sub-tenant with every ACL (like `admin-acme`)."""
    return mint_token(sb, "acme")
