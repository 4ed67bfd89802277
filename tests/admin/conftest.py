"""Shared pieces of the admin command tests: a window covering the seed, no retry backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wazo_rec_tools.wazo.http import HttpClient

MEDIA = r"/api/call-logd/1\.0/cdr/\d+/recordings/[^/]+/media$"
CDR_LIST = r"/api/call-logd/1\.0/cdr$"
BULK_DELETE = r"/api/call-logd/1\.0/cdr/recordings/media$"


@pytest.fixture
def window(sandbox) -> tuple[str, str]:
    """--from/--until covering the whole seeded history (SeedSpec.weeks = 6)."""
    now = sandbox.clock()
    return (now - timedelta(weeks=7)).isoformat(), (now + timedelta(hours=1)).isoformat()


@pytest.fixture
def no_backoff(monkeypatch) -> None:
    """Retries without waiting, for tests that exhaust them on purpose."""
    monkeypatch.setattr(HttpClient, "_sleep", lambda self, attempt, why: None)


def recorded_cdrs(sandbox, tenant_uuid: str | None = None) -> list[dict]:
    """The seeded CDRs that have recordings, in id order, optionally of one tenant."""
    with sandbox.store.lock:
        cdrs = [
            dict(cdr, recordings=[dict(r) for r in cdr["recordings"]])
            for cdr in sandbox.store.calllogd.cdrs.values()
            if cdr["recordings"] and tenant_uuid in (None, cdr["tenant_uuid"])
        ]
    return sorted(cdrs, key=lambda c: c["id"])
