"""wazo-call-logd: CDRs, recording media, exports, retention (docs/wazo-api.md, call-logd)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .http import ApiError, Download, HttpClient


def iso(moment: datetime) -> str:
    """docs/wazo-api.md, call-logd §2: always an explicit offset; a naive datetime is a bug here."""
    if moment.tzinfo is None:
        raise ValueError("call-logd needs timezone-aware datetimes")
    return moment.isoformat()


class CallLogdClient:
    def __init__(self, http: HttpClient):
        self.http = http

    # -- CDRs ------------------------------------------------------------------------------

    def cdrs(
        self,
        *,
        tenant: str | None = None,
        recurse: bool = False,
        page_size: int = 1000,
        from_: datetime | None = None,
        until: datetime | None = None,
        **filters: Any,
    ) -> Iterator[dict]:
        """Every matching CDR, page by page (docs/wazo-api.md, call-logd §7: limit defaults to
        1000)."""
        params: dict[str, Any] = {
            "recurse": recurse,
            "order": "start",
            "direction": "asc",
            **filters,
        }
        if from_ is not None:
            params["from"] = iso(from_)
        if until is not None:
            params["until"] = iso(until)
        return self.http.paginate("/cdr", params=params, tenant=tenant, page_size=page_size)

    def recorded_cdrs_from_id(
        self,
        from_id: int,
        *,
        tenant: str | None = None,
        limit: int = 500,
        from_: datetime | None = None,
        until: datetime | None = None,
    ) -> list[dict]:
        """One page of recorded CDRs with `id >= from_id`, in id order (docs/wazo-api.md, call-logd
        §7).

        Keyset pagination: the caller asks again from the last id + 1, so CDRs written while
        it reads are neither skipped nor repeated the way offsets would.
        """
        params: dict[str, Any] = {
            "from_id": max(0, int(from_id)),
            "recorded": True,
            "order": "id",
            "direction": "asc",
            "limit": limit,
        }
        if from_ is not None:
            params["from"] = iso(from_)
        if until is not None:
            params["until"] = iso(until)
        body = self.http.get_json("/cdr", params=params, tenant=tenant)
        return list(body.get("items") or [])

    def get_cdr(self, cdr_id: int, *, tenant: str | None = None) -> dict:
        return self.http.get_json(f"/cdr/{int(cdr_id)}", tenant=tenant)

    # -- recording media ---------------------------------------------------------------------

    def download_recording(
        self,
        cdr_id: int,
        recording_uuid: str,
        dest: Path,
        *,
        tenant: str | None = None,
        progress: Any = None,
        sync: bool = True,
    ) -> Download:
        return self.http.download(
            f"/cdr/{int(cdr_id)}/recordings/{recording_uuid}/media",
            dest,
            tenant=tenant,
            progress=progress,
            sync=sync,
        )

    def delete_recording(
        self, cdr_id: int, recording_uuid: str, *, tenant: str | None = None
    ) -> None:
        self.http.request(
            "DELETE",
            f"/cdr/{int(cdr_id)}/recordings/{recording_uuid}/media",
            tenant=tenant,
            expect=(204,),
        )

    def delete_recordings(self, cdr_ids: list[int], *, tenant: str | None = None) -> None:
        """Bulk delete; all-or-nothing on the server (docs/wazo-api.md, call-logd §8)."""
        self.http.request(
            "DELETE",
            "/cdr/recordings/media",
            json={"cdr_ids": [int(i) for i in cdr_ids]},
            tenant=tenant,
            expect=(204,),
        )

    # -- exports -----------------------------------------------------------------------------

    def create_export(
        self,
        *,
        from_: datetime,
        until: datetime,
        tenant: str | None = None,
        email: str | None = None,
        recurse: bool = False,
    ) -> str | None:
        """Launch an export; its uuid, or None when there is nothing to export.

        docs/wazo-api.md, call-logd §2: the body must be `{}`; the export is stored under the
        token's tenant.
        """
        params: dict[str, Any] = {"from": iso(from_), "until": iso(until)}
        if recurse:
            params["recurse"] = True
        if email:
            params["email"] = email
        try:
            response = self.http.request(
                "POST",
                "/cdr/recordings/media/export",
                params=params,
                json={},
                tenant=tenant,
                expect=(202,),
            )
        except ApiError as exc:
            if exc.status == 400 and exc.error_id == "no-recording-to-export":
                return None
            raise
        return response.json()[
            "uuid"
        ]  # docs/wazo-api.md, call-logd §11.1: `uuid`, not `export_uuid`

    def get_export(self, export_uuid: str, *, tenant: str | None = None) -> dict:
        return self.http.get_json(f"/exports/{export_uuid}", tenant=tenant)

    def download_export(
        self, export_uuid: str, dest: Path, *, tenant: str | None = None, progress: Any = None
    ) -> Download:
        # docs/wazo-api.md, call-logd §5: non-recursive; `tenant` must be the export's own (the
        # token's) tenant
        return self.http.download(
            f"/exports/{export_uuid}/download", dest, tenant=tenant, progress=progress
        )

    # -- retention and status ------------------------------------------------------------------

    def retention(self, *, tenant: str | None = None) -> dict:
        return self.http.get_json("/retention", tenant=tenant)

    def put_retention(self, body: dict, *, tenant: str | None = None) -> None:
        keys = {"cdr_days", "recording_days", "export_days"}
        if set(body) != keys:
            # docs/wazo-api.md, call-logd §9: omitted keys are reset to null
            raise ValueError("a retention PUT must carry cdr_days, recording_days and export_days")
        self.http.request("PUT", "/retention", json=body, tenant=tenant, expect=(204,))

    def status(self) -> dict:
        return self.http.get_json("/status")
