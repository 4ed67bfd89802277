"""Fixtures of the mirror tests: a config with a mirror section, the journal, new CDRs."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wazo_rec_tools.sandbox.calllogd.state import recording_filename


@pytest.fixture
def state_dir(config_file) -> Path:
    return config_file.parent / "state"


@pytest.fixture
def mirror_dir(tmp_path) -> Path:
    return tmp_path / "mirrored"


@pytest.fixture
def mirror_config(config_file, mirror_dir) -> Callable[..., Path]:
    """Append a `mirror:` section to the sandbox config; returns the config path."""

    def write(**options: Any) -> Path:
        settings = {"destinations": [f"file://{mirror_dir}"], "lag": "2m", **options}
        lines = ["mirror:"]
        for key, value in settings.items():
            if isinstance(value, list):
                value = "[" + ", ".join(str(v) for v in value) + "]"
            elif isinstance(value, bool):
                value = "true" if value else "false"
            lines.append(f"  {key}: {value}")
        text = config_file.read_text().split("mirror:")[0]
        config_file.write_text(text + "\n".join(lines) + "\n")
        return config_file

    write()
    return write


@pytest.fixture
def mirror_rows(state_dir) -> Callable[[], list[dict]]:
    def read() -> list[dict]:
        conn = sqlite3.connect(state_dir / "journal.sqlite3")
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute("SELECT * FROM mirror_recordings")]
        finally:
            conn.close()

    return read


@pytest.fixture
def time_passes(state_dir) -> Callable[[], None]:
    """Every backoff delay of the journal is over."""

    def expire() -> None:
        conn = sqlite3.connect(state_dir / "journal.sqlite3")
        with conn:
            conn.execute(
                "UPDATE mirror_recordings SET next_attempt_at='2000-01-01T00:00:00+00:00' "
                "WHERE next_attempt_at IS NOT NULL"
            )
        conn.close()

    return expire


@pytest.fixture
def status_json(run_cli) -> Callable[[], dict[str, dict]]:
    """`mirror status --output json`, by tenant slug."""

    def read() -> dict[str, dict]:
        result = run_cli("mirror", "status", "--output", "json")
        assert result.exit_code == 0, result.stderr
        return {t["tenant"]["slug"]: t for t in json.loads(result.stdout)["tenants"]}

    return read


@pytest.fixture
def add_call(sandbox) -> Callable[..., dict]:
    """Write a new recorded CDR into the sandbox, as call-logd would after the call ends."""

    def add(
        *,
        tenant_slug: str = "acme",
        start: datetime | None = None,
        minutes: int = 3,
        recordings: int = 1,
        deleted: bool = False,
    ) -> dict:
        store = sandbox.store
        with store.lock:
            tenant = store.tenant(tenant_slug)
            users = [u for u in store.confd.users.values() if u["tenant_uuid"] == tenant["uuid"]]
            source, dest = users[0], users[1]
            begin = start or datetime.now(UTC) - timedelta(minutes=minutes + 10)
            end = begin + timedelta(minutes=minutes)
            cdr_id = store.calllogd.next_cdr_id()
            recs = []
            for n in range(recordings):
                rec_uuid = str(uuid.uuid4())
                rec_start = begin + timedelta(seconds=5 + n)
                recs.append(
                    {
                        "uuid": rec_uuid,
                        "start_time": rec_start.isoformat(),
                        "end_time": end.isoformat(),
                        "deleted": deleted,
                        "filename": recording_filename(rec_start, cdr_id, rec_uuid),
                    }
                )
            template = next(iter(store.calllogd.cdrs.values()))
            cdr = dict(
                template,
                id=cdr_id,
                tenant_uuid=tenant["uuid"],
                start=begin.isoformat(),
                answer=(begin + timedelta(seconds=4)).isoformat(),
                end=end.isoformat(),
                duration=minutes * 60 - 4,
                answered=True,
                call_status="answered",
                call_direction="internal",
                source_user_uuid=source["uuid"],
                source_name=f"{source['firstname']} {source['lastname']}",
                destination_user_uuid=dest["uuid"],
                destination_name=f"{dest['firstname']} {dest['lastname']}",
                tags=[],
                recordings=recs,
            )
            store.calllogd.cdrs[cdr_id] = cdr
        return cdr

    return add
