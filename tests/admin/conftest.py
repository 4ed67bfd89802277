"""Fixtures of the admin command tests: a window covering the seed, no retry backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wazo_rec_tools.wazo.http import HttpClient


@pytest.fixture
def window(sandbox) -> tuple[str, str]:
    """--from/--until covering the whole seeded history (SeedSpec.weeks = 6)."""
    now = sandbox.clock()
    return (now - timedelta(weeks=7)).isoformat(), (now + timedelta(hours=1)).isoformat()


@pytest.fixture
def no_backoff(monkeypatch) -> None:
    """Retries without waiting, for tests that exhaust them on purpose."""
    monkeypatch.setattr(HttpClient, "_sleep", lambda self, attempt, why: None)
