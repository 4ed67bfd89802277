"""Helpers for tests that are not fixtures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from wazo_rec_tools.config import StackConfig
from wazo_rec_tools.sandbox import Sandbox
from wazo_rec_tools.sandbox.calllogd.state import recording_filename
from wazo_rec_tools.wazo.stack import Wazo


def connect(sandbox: Sandbox, username: str = Sandbox.ADMIN_USERNAME, **kwargs) -> Wazo:
    """A `Wazo` logged in to the sandbox as `username` (seeded users share one password)."""
    wazo = Wazo(StackConfig(url=sandbox.url, timeout=5), backoff=0.01, **kwargs)
    return wazo.login(username, Sandbox.ADMIN_PASSWORD)


def add_recorded_call(
    sandbox: Sandbox,
    *,
    tenant_slug: str = "acme",
    start: datetime | None = None,
    minutes: int = 3,
    recordings: int = 1,
    deleted: bool = False,
) -> dict:
    """Write a new recorded CDR into the sandbox, as call-logd does after a call ends."""
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
