"""wazo-calld: live calls and their recording (docs/wazo-api.md, calld)."""

from __future__ import annotations

from .http import HttpClient

RECORD_ACTIONS = ("start", "stop", "pause", "resume")


class CalldClient:
    def __init__(self, http: HttpClient):
        self.http = http

    def calls(self, *, tenant: str | None = None, recurse: bool = False) -> list[dict]:
        # docs/wazo-api.md, calld §2: no pagination; recurse is honoured for the master tenant only
        params = {"recurse": True} if recurse else None
        return self.http.get_json("/calls", params=params, tenant=tenant).get("items", [])

    def get_call(self, call_id: str, *, tenant: str | None = None) -> dict:
        return self.http.get_json(f"/calls/{call_id}", tenant=tenant)

    def record(self, call_id: str, action: str, *, tenant: str | None = None) -> None:
        """start, stop, pause or resume; the call's own tenant must be sent (no recursion)."""
        if action not in RECORD_ACTIONS:
            raise ValueError(f"unknown record action {action!r}")
        self.http.request("PUT", f"/calls/{call_id}/record/{action}", tenant=tenant, expect=(204,))

    def status(self) -> dict:
        return self.http.get_json("/status")
