"""Recording exports: launch, poll, download (docs/wazo-api.md, call-logd §2, §4, §5)."""

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from ..routing import ApiFault, Request, Response, Router, html_not_found, xivo_error
from . import queries
from .cdr import PREFIX
from .export_task import ExportedRecording, start_export
from .schemas import export_request
from .state import CallLogdState, export_filename
from .tenancy import requested_tenant, tenant_scope

_NOT_DONE = ("pending", "processing")


def export_view(export: dict[str, Any]) -> dict[str, Any]:
    """`ExportSchema` (docs/wazo-api.md, call-logd §4): no path, size or count."""
    return {
        "uuid": export["uuid"],
        "tenant_uuid": export["tenant_uuid"],
        "user_uuid": export["user_uuid"],
        "requested_at": export["requested_at"].isoformat(),
        "filename": export_filename(export["requested_at"], export["uuid"]),
        "status": export["status"],
    }


def _export_uuid(req: Request) -> str:
    """The `<uuid:export_uuid>` converter: anything else is Flask's plain 404."""
    value = req.path_params["export_uuid"]
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise html_not_found() from None


def _export_not_found(export_uuid: str) -> ApiFault:
    return xivo_error(
        404,
        "export-not-found-with-given-uuid",
        "No export found matching this UUID",
        {"export_uuid": export_uuid},
    )


def _recordings_to_export(
    cdrs: list[dict[str, Any]], state: CallLogdState
) -> list[ExportedRecording]:
    exported = []
    for cdr in sorted(cdrs, key=lambda cdr: cdr["id"]):
        for recording in cdr["recordings"]:
            if recording["deleted"]:
                # docs/wazo-api.md (call-logd §2): only recordings whose file is still there
                continue
            exported.append(
                ExportedRecording(
                    cdr_id=cdr["id"],
                    filename=recording["filename"],
                    recording_uuid=recording["uuid"],
                    start_time=datetime.fromisoformat(recording["start_time"]),
                    size=state.media_size(recording["uuid"]),
                )
            )
    return exported


def create_export(req: Request) -> Response:
    body = req.json()  # docs/wazo-api.md (call-logd §2): since 26.02 a missing body is a 400
    request = export_request(req.params, body)
    tenants = tenant_scope(req, requested_tenant(req), request["recurse"])
    store = req.sandbox.store
    state = store.calllogd
    with store.lock:
        cdrs = [
            cdr
            for cdr in state.cdrs.values()
            if cdr["tenant_uuid"] in tenants and queries.matches(cdr, request)
        ]
        recordings = _recordings_to_export(cdrs, state)
        if not recordings:
            raise xivo_error(400, "no-recording-to-export", "No recording to export")
        export_uuid = str(uuid.uuid4())
        fail = state.fail_next_exports > 0
        if fail:
            state.fail_next_exports -= 1
        state.exports[export_uuid] = {
            "uuid": export_uuid,
            # docs/wazo-api.md (call-logd §2) step 4: the token's tenant, not Wazo-Tenant
            "tenant_uuid": req.token.tenant_uuid,
            "user_uuid": req.token.user_uuid,
            "requested_at": req.sandbox.clock(),
            "status": "pending",
            "path": None,
            "email": request["email"],
            "recordings": [
                (item.cdr_id, item.filename, item.recording_uuid) for item in recordings
            ],
        }
        compression = state.export_compression
    start_export(req.sandbox, export_uuid, recordings, fail=fail, compression=compression)
    return Response(
        status=202,
        json={"uuid": export_uuid},
        headers={"Location": req.public_path(f"{PREFIX}/exports/{export_uuid}")},
    )


def get_export(req: Request) -> Response:
    export_uuid = _export_uuid(req)
    # docs/wazo-api.md (call-logd §4): the tenant and its sub-tenants
    tenants = tenant_scope(req, requested_tenant(req), recurse=True)
    with req.sandbox.store.lock:
        export = req.sandbox.store.calllogd.exports.get(export_uuid)
        if export is None or export["tenant_uuid"] not in tenants:
            raise _export_not_found(export_uuid)
        return Response(json=export_view(export))


def download_export(req: Request) -> Response:
    export_uuid = _export_uuid(req)
    # docs/wazo-api.md (call-logd §5): single tenant, no recursion, ?tenant= first
    tenant = requested_tenant(req, query_extractor=True)
    with req.sandbox.store.lock:
        export = req.sandbox.store.calllogd.exports.get(export_uuid)
        if export is None or export["tenant_uuid"] != tenant:
            raise _export_not_found(export_uuid)
        if export["status"] in _NOT_DONE:
            raise xivo_error(
                202,
                "export-not-done-yet",
                "Export: not done yet",
                {"export_uuid": export_uuid},
            )
        if not export["path"]:
            raise _export_not_found(export_uuid)  # what a failed export gets (§5)
        if export["status"] == "error":
            raise xivo_error(500, "export-error", "Export error", {"export_uuid": export_uuid})
        path = Path(export["path"])
        filename = export_filename(export["requested_at"], export_uuid)
    if not path.is_file():
        raise xivo_error(
            500,
            "export-filesystem-not-found",
            "Export file not found on the filesystem",
            {"export_uuid": export_uuid},
        )
    return Response(
        file=path,
        content_type="application/zip",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def register(router: Router) -> None:
    router.route(
        "POST",
        f"{PREFIX}/cdr/recordings/media/export",
        service="call-logd",
        acl="call-logd.cdr.recordings.media.export.create",
    )(create_export)
    router.route(
        "GET",
        f"{PREFIX}/exports/{{export_uuid}}",
        service="call-logd",
        acl="call-logd.exports.{export_uuid}.read",
    )(get_export)
    router.route(
        "GET",
        f"{PREFIX}/exports/{{export_uuid}}/download",
        service="call-logd",
        acl="call-logd.exports.{export_uuid}.download.read",
        query_token=True,
    )(download_export)
