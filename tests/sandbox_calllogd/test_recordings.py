"""Recording media of the emulated call-logd: download, Range, delete, bulk delete."""

from __future__ import annotations

import io
import wave

from calllogd_sandbox import CALLLOGD

from wazo_rec_tools.sandbox.calllogd.media import media_bytes


def recorded_cdr(sb, slug: str = "acme", deleted: bool = False) -> tuple[dict, dict]:
    """A CDR of the tenant and its first recording that is (or is not) deleted."""
    tenant = sb.store.tenant(slug)["uuid"]
    for cdr in sorted(sb.store.calllogd.cdrs.values(), key=lambda cdr: cdr["id"]):
        if cdr["tenant_uuid"] != tenant:
            continue
        for recording in cdr["recordings"]:
            if recording["deleted"] == deleted:
                return cdr, recording
    raise AssertionError("the seed has no such recording")


def media_path(cdr: dict, recording: dict) -> str:
    return f"{CALLLOGD}/cdr/{cdr['id']}/recordings/{recording['uuid']}/media"


def test_media_is_a_wav_of_the_recording_size(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    response = api.call("GET", media_path(cdr, recording), acme)
    with wave.open(io.BytesIO(response.content)) as audio:
        frames = audio.getnframes()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/wav"
    assert len(response.content) == 4_000
    assert frames == (4_000 - 44) // 2


def test_media_is_an_attachment_named_after_the_recording(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    response = api.call("GET", media_path(cdr, recording), acme)
    assert (
        response.headers["Content-Disposition"] == f"attachment; filename={recording['filename']}"
    )


def test_media_is_the_same_on_every_download(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    first = api.call("GET", media_path(cdr, recording), acme).content
    second = api.call("GET", media_path(cdr, recording), acme).content
    assert first == second == media_bytes(recording["uuid"], 4_000)


def test_media_size_can_be_changed_per_recording(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    sb.store.calllogd.set_media_size(recording["uuid"], 1_000_000)
    response = api.call("GET", media_path(cdr, recording), acme)
    assert len(response.content) == 1_000_000
    assert response.content == media_bytes(recording["uuid"], 1_000_000)


def test_media_range_is_206_inline_with_those_bytes(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    response = api.call("GET", media_path(cdr, recording), acme, headers={"Range": "bytes=40-99"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 40-99/4000"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.content == media_bytes(recording["uuid"], 4_000)[40:100]


def test_media_suffix_range_gives_the_last_bytes(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    response = api.call("GET", media_path(cdr, recording), acme, headers={"Range": "bytes=-10"})
    assert response.content == media_bytes(recording["uuid"], 4_000)[-10:]


def test_media_range_past_the_end_is_416(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    headers = {"Range": "bytes=5000-"}
    response = api.call("GET", media_path(cdr, recording), acme, headers=headers)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */4000"


def test_media_of_a_deleted_recording_is_400_recording_media_not_found(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    recording["deleted"] = True
    response = api.call("GET", media_path(cdr, recording), acme)
    assert response.status_code == 400
    assert response.json()["error_id"] == "recording-media-not-found"


def test_media_of_an_unknown_recording_is_404_recording_not_found(sb, api, acme):
    cdr, _ = recorded_cdr(sb)
    path = f"{CALLLOGD}/cdr/{cdr['id']}/recordings/00000000-0000-4000-8000-000000000000/media"
    response = api.call("GET", path, acme)
    assert response.status_code == 404
    assert response.json()["error_id"] == "recording-not-found"


def test_media_of_another_tenant_cdr_is_404_cdr_not_found(sb, api, acme):
    cdr, recording = recorded_cdr(sb, "globex")
    response = api.call("GET", media_path(cdr, recording), acme)
    assert response.status_code == 404
    assert response.json()["error_id"] == "cdr-not-found-with-given-id"


def test_delete_media_is_204_and_marks_the_recording_deleted(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    response = api.call("DELETE", media_path(cdr, recording), acme)
    shown = api.call("GET", f"{CALLLOGD}/cdr/{cdr['id']}", acme).json()
    assert response.status_code == 204
    assert response.content == b""
    assert [r["deleted"] for r in shown["recordings"] if r["uuid"] == recording["uuid"]] == [True]


def test_delete_media_already_deleted_is_still_204(sb, api, acme):
    cdr, recording = recorded_cdr(sb, deleted=True)
    assert api.call("DELETE", media_path(cdr, recording), acme).status_code == 204


def test_bulk_delete_removes_every_recording_of_the_listed_cdrs(sb, api, acme):
    cdr, _ = recorded_cdr(sb)
    body = {"cdr_ids": [cdr["id"]]}
    response = api.call("DELETE", f"{CALLLOGD}/cdr/recordings/media", acme, json=body)
    assert response.status_code == 204
    assert all(recording["deleted"] for recording in cdr["recordings"])


def test_bulk_delete_with_one_unknown_cdr_deletes_nothing(sb, api, acme):
    cdr, recording = recorded_cdr(sb)
    body = {"cdr_ids": [cdr["id"], 999_999]}
    response = api.call("DELETE", f"{CALLLOGD}/cdr/recordings/media", acme, json=body)
    assert response.status_code == 404
    assert response.json()["error_id"] == "cdr-not-found-with-given-id"
    assert response.json()["details"] == {"cdr_id": 999_999}
    assert recording["deleted"] is False


def test_bulk_delete_of_another_tenant_cdr_deletes_nothing(sb, api, acme):
    mine, recording = recorded_cdr(sb)
    theirs, _ = recorded_cdr(sb, "globex")
    body = {"cdr_ids": [mine["id"], theirs["id"]]}
    response = api.call("DELETE", f"{CALLLOGD}/cdr/recordings/media", acme, json=body)
    assert response.status_code == 404
    assert recording["deleted"] is False


def test_bulk_delete_needs_at_least_one_cdr_id(api, acme):
    response = api.call("DELETE", f"{CALLLOGD}/cdr/recordings/media", acme, json={"cdr_ids": []})
    assert response.status_code == 400
    assert response.json()["error_id"] == "invalid-data"


def test_bulk_delete_without_body_is_400(api, acme):
    assert api.call("DELETE", f"{CALLLOGD}/cdr/recordings/media", acme).status_code == 400
