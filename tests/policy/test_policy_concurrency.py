"""Many requests in flight at once: the connection pool is as large as the concurrency."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from wazo_rec_tools.sandbox import Sandbox, SeedSpec

ONLINE = "online_call_record_enabled"


@pytest.fixture
def sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    """260 users (130 in acme), every request slowed so that the 64 workers overlap."""
    sb = Sandbox(SeedSpec(users=260), latency=0.05, spool_dir=tmp_path_factory.mktemp("spool"))
    with sb.store.lock:
        for user in sb.store.confd.users.values():
            user[ONLINE] = False
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


def test_apply_with_concurrency_64_never_discards_a_pooled_connection(
    sandbox, run_cli, config_file, caplog
):
    policy = config_file.parent / "policy.yml"
    policy.write_text(
        f"version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults: {{{ONLINE}: true}}\n"
    )
    caplog.set_level(logging.WARNING, logger="urllib3")
    result = run_cli("apply", "--yes", "--force", "--concurrency", "64")
    assert result.exit_code == 0, result.stderr
    assert "Applied: 130 changed, 0 failed." in result.stdout
    pool_full = [r.getMessage() for r in caplog.records if "pool is full" in r.getMessage()]
    assert pool_full == []
    assert "pool is full" not in result.stderr
