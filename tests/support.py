"""Helpers for tests that are not fixtures."""

from __future__ import annotations

from wazo_rec_tools.config import StackConfig
from wazo_rec_tools.sandbox import Sandbox
from wazo_rec_tools.wazo.stack import Wazo


def connect(sandbox: Sandbox, username: str = Sandbox.ADMIN_USERNAME, **kwargs) -> Wazo:
    """A `Wazo` logged in to the sandbox as `username` (seeded users share one password)."""
    wazo = Wazo(StackConfig(url=sandbox.url, timeout=5), backoff=0.01, **kwargs)
    return wazo.login(username, Sandbox.ADMIN_PASSWORD)
