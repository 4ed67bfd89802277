from __future__ import annotations

import pytest


@pytest.fixture
def sent(wazo):
    """Every request the client put on the wire (method, url, headers), as the server saw it."""
    seen: list = []

    def hook(response, *args, **kwargs):
        seen.append(response.request)

    wazo.session.hooks["response"].append(hook)
    return seen
