"""Fixtures of the policy tests: a stack with every recording setting off, a policy file."""

from __future__ import annotations

import pytest

from wazo_rec_tools.policy.model import USER_FIELDS
from wazo_rec_tools.sandbox import Sandbox


@pytest.fixture
def stack(sandbox: Sandbox) -> Sandbox:
    """The sandbox with every user flag and group/queue toggle false, and a clean request log."""
    with sandbox.store.lock:
        for user in sandbox.store.confd.users.values():
            user.update(dict.fromkeys(USER_FIELDS, False))
        for obj in [*sandbox.store.confd.groups.values(), *sandbox.store.confd.queues.values()]:
            obj["dtmf_record_toggle"] = False
        sandbox.store.confd.changed()
    sandbox.log.clear()
    return sandbox


@pytest.fixture
def write_policy(config_file):
    """Write the policy file the config names; its path."""

    def write(text: str) -> str:
        path = config_file.parent / "policy.yml"
        path.write_text(text)
        return str(path)

    return write
