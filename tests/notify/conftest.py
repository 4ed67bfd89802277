"""Fixtures of the notification tests: a receiver, a webhook secret, a config using them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from notify_receiver import SECRET, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def credentials(tmp_path, monkeypatch) -> Path:
    """A systemd-style credentials folder holding the webhook secret."""
    folder = tmp_path / "credentials"
    folder.mkdir()
    (folder / "webhook-test").write_text(SECRET + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(folder))
    return folder


@pytest.fixture
def with_notify(config_file, credentials):
    """Append `notify:` (and `metrics:`) YAML to the config file."""

    def add(text: str) -> Path:
        config_file.write_text(config_file.read_text() + text)
        return config_file

    return add


@pytest.fixture
def webhook(with_notify, receiver) -> Path:
    """A webhook to the receiver (all events, 1 s timeout) and its healthchecks pings."""
    return with_notify(
        "notify:\n"
        f"  - webhook: {receiver.url}/hook\n"
        "    secret: webhook-test\n"
        "    timeout: 1\n"
        f"  - healthchecks: {receiver.url}/ping/abc\n"
        "    timeout: 1\n"
    )


@pytest.fixture
def state_dir(config_file) -> Path:
    return config_file.parent / "state"


@pytest.fixture
def archives(config_file) -> Path:
    return config_file.parent / "archives"
