"""Recording media: download, delete one, delete in bulk (docs/wazo-api.md, call-logd §8)."""

import re
from typing import Any

from ..routing import Request, Response, Router, xivo_error
from .cdr import PREFIX, find_cdr, parse_cdr_id
from .media import iter_media, media_size
from .schemas import invalid_data, type_error, validator_error
from .tenancy import requested_tenant, tenant_scope

_MEDIA_PATH = f"{PREFIX}/cdr/{{cdr_id}}/recordings/{{recording_uuid}}/media"
_MEDIA_ACL = "call-logd.cdr.{cdr_id}.recordings.{recording_uuid}.media"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _find_recording(req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    cdr_id = parse_cdr_id(req.path_params["cdr_id"])
    recording_uuid = req.path_params["recording_uuid"]
    tenant = requested_tenant(req, query_extractor=True)
    cdr = find_cdr(req, cdr_id, tenant_scope(req, tenant, recurse=True))
    for recording in cdr["recordings"]:
        if recording["uuid"] == recording_uuid:
            return cdr, recording
    raise xivo_error(
        404, "recording-not-found", "No recording found", {"recording_uuid": recording_uuid}
    )


class RangeNotSatisfiable(Exception):
    """A Range header that asks for nothing inside the file: 416."""


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of the one range asked for, or None to serve the whole file."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None  # several ranges or a malformed header: the whole file, like werkzeug
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable
    return start, min(end, size - 1)


def get_media(req: Request) -> Response:
    with req.sandbox.store.lock:
        _, recording = _find_recording(req)
        if recording["deleted"]:
            raise xivo_error(
                400,
                "recording-media-not-found",
                "No recording media found",
                {"recording_uuid": recording["uuid"]},
            )
        recording_uuid = recording["uuid"]
        if recording_uuid in req.sandbox.store.calllogd.missing_media:
            # the row keeps its path, the file is gone from disk
            raise xivo_error(
                500,
                "recording-media-filesystem-not-found",
                "Recording media: not found on filesystem",
                {"recording_uuid": recording_uuid},
            )
        filename = recording["filename"]
        size = media_size(req.sandbox.store.calllogd.media_size(recording_uuid))

    try:
        byte_range = _byte_range(req.headers.get("Range"), size)
    except RangeNotSatisfiable:
        return Response(
            status=416,
            body=b"",
            content_type="text/html; charset=utf-8",
            headers={"Content-Range": f"bytes */{size}"},
        )
    headers = {"Accept-Ranges": "bytes"}
    if byte_range is None:
        headers["Content-Disposition"] = f"attachment; filename={filename}"
        return Response(
            stream=lambda: iter_media(recording_uuid, size),
            length=size,
            content_type="audio/wav",
            headers=headers,
        )
    first, last = byte_range
    # docs/wazo-api.md (call-logd §8): a Range request is answered inline, 206
    headers["Content-Disposition"] = f"inline; filename={filename}"
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(
        status=206,
        stream=lambda: iter_media(recording_uuid, size, first, last),
        length=last - first + 1,
        content_type="audio/wav",
        headers=headers,
    )


def delete_media(req: Request) -> Response:
    with req.sandbox.store.lock:
        _, recording = _find_recording(req)
        # docs/wazo-api.md (call-logd §8): a media already gone is still 204
        recording["deleted"] = True
        req.sandbox.store.calllogd.missing_media.discard(recording["uuid"])
    return Response(status=204)


def _bulk_cdr_ids(body: Any) -> list[int]:
    """`{"cdr_ids": [int, ...]}`: a list of at least one integer (xivo's field errors)."""
    if not isinstance(body, dict):
        raise invalid_data({"_schema": [type_error("dict", "Invalid input type.")]})
    if "cdr_ids" not in body:
        raise invalid_data(
            {
                "cdr_ids": {
                    "message": "Missing data for required field.",
                    "constraint_id": "required",
                    "constraint": "required",
                }
            }
        )
    cdr_ids = body["cdr_ids"]
    if not isinstance(cdr_ids, list):
        raise invalid_data({"cdr_ids": type_error("list", "Not a valid list.")})
    bad = {
        str(index): type_error("integer", "Not a valid integer.")
        for index, cdr_id in enumerate(cdr_ids)
        if isinstance(cdr_id, bool)
        or not isinstance(cdr_id, int | str)
        or not str(cdr_id).isdigit()
    }
    if bad:
        raise invalid_data({"cdr_ids": bad})
    if not cdr_ids:
        raise invalid_data(
            {
                "cdr_ids": validator_error(
                    "length", {"min": 1, "max": None}, "Shorter than minimum length 1."
                )
            }
        )
    return [int(cdr_id) for cdr_id in cdr_ids]


def delete_bulk_media(req: Request) -> Response:
    cdr_ids = _bulk_cdr_ids(req.json())
    tenant = requested_tenant(req)
    tenants = tenant_scope(req, tenant, recurse=True)
    with req.sandbox.store.lock:
        # every CDR is checked before anything is deleted (docs/wazo-api.md, call-logd §8)
        cdrs = [find_cdr(req, cdr_id, tenants) for cdr_id in cdr_ids]
        for cdr in cdrs:
            for recording in cdr["recordings"]:
                recording["deleted"] = True
                req.sandbox.store.calllogd.missing_media.discard(recording["uuid"])
    return Response(status=204)


def register(router: Router) -> None:
    router.route(
        "GET", _MEDIA_PATH, service="call-logd", acl=f"{_MEDIA_ACL}.read", query_token=True
    )(get_media)
    router.route("DELETE", _MEDIA_PATH, service="call-logd", acl=f"{_MEDIA_ACL}.delete")(
        delete_media
    )
    router.route(
        "DELETE",
        f"{PREFIX}/cdr/recordings/media",
        service="call-logd",
        acl="call-logd.cdr.recordings.media.delete",
    )(delete_bulk_media)
