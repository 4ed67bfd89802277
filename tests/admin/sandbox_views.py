"""What the admin tests read from the sandbox: request paths, and the seeded CDRs."""

from __future__ import annotations

MEDIA = r"/api/call-logd/1\.0/cdr/\d+/recordings/[^/]+/media$"
CDR_LIST = r"/api/call-logd/1\.0/cdr$"
BULK_DELETE = r"/api/call-logd/1\.0/cdr/recordings/media$"


def recorded_cdrs(sandbox, tenant_uuid: str | None = None) -> list[dict]:
    """The seeded CDRs that have recordings, in id order, optionally of one tenant."""
    with sandbox.store.lock:
        cdrs = [
            dict(cdr, recordings=[dict(r) for r in cdr["recordings"]])
            for cdr in sandbox.store.calllogd.cdrs.values()
            if cdr["recordings"] and tenant_uuid in (None, cdr["tenant_uuid"])
        ]
    return sorted(cdrs, key=lambda c: c["id"])
