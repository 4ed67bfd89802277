"""Recording exports of the emulated call-logd: launch, poll, download, failures, purge."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

from calllogd_sandbox import CALLLOGD, NOW, mint_token

from wazo_rec_tools.sandbox.calllogd.media import media_bytes

EXPORT = f"{CALLLOGD}/cdr/recordings/media/export"
LAST_WEEK = {"from": (NOW - timedelta(weeks=1)).isoformat(), "until": NOW.isoformat()}


def expected_entries(sb, tenant_slug: str, window: dict) -> dict[str, str]:
    """Archive entry -> recording uuid for the live recordings of the tenant in the window."""
    tenant = sb.store.tenant(tenant_slug)["uuid"]
    start, end = datetime.fromisoformat(window["from"]), datetime.fromisoformat(window["until"])
    entries = {}
    for cdr in sb.store.calllogd.cdrs.values():
        started = datetime.fromisoformat(cdr["start"])
        if cdr["tenant_uuid"] != tenant or not start <= started < end:
            continue
        if cdr["call_status"] == "blocked":
            continue
        for recording in cdr["recordings"]:
            if not recording["deleted"]:
                entries[f"{cdr['id']}/{recording['filename']}"] = recording["uuid"]
    return entries


def launch(api, token, params=None, tenant=None):
    return api.call("POST", EXPORT, token, tenant=tenant, params=params or LAST_WEEK, json={})


def test_export_is_202_with_uuid_and_location(api, acme):
    response = launch(api, acme)
    export_uuid = response.json()["uuid"]
    assert response.status_code == 202
    assert response.headers["Location"] == f"{CALLLOGD}/exports/{export_uuid}"


def test_export_starts_pending(sb, api, acme):
    sb.export_delay = 2.0
    export_uuid = launch(api, acme).json()["uuid"]
    export = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}", acme).json()
    assert export["status"] == "pending"
    assert export["filename"].endswith(f"-{export_uuid}.zip")


def test_export_finishes_with_a_zip_of_every_recording_in_the_window(sb, api, acme):
    export_uuid = launch(api, acme).json()["uuid"]
    assert api.wait_export(export_uuid, acme)["status"] == "finished"
    response = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", acme)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    expected = expected_entries(sb, "acme", LAST_WEEK)
    assert response.headers["Content-Type"] == "application/zip"
    assert sorted(archive.namelist()) == sorted(expected)
    name, recording_uuid = next(iter(expected.items()))
    assert archive.read(name) == media_bytes(recording_uuid, 4_000)


def test_export_download_names_the_export_file(api, acme):
    export_uuid = launch(api, acme).json()["uuid"]
    filename = api.wait_export(export_uuid, acme)["filename"]
    response = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", acme)
    assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"


def test_export_download_before_it_is_done_is_202_export_not_done_yet(sb, api, acme):
    sb.export_delay = 2.0
    export_uuid = launch(api, acme).json()["uuid"]
    response = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", acme)
    assert response.status_code == 202
    assert response.json()["error_id"] == "export-not-done-yet"
    assert set(response.json()) >= {"message", "error_id", "details", "timestamp"}


def test_export_archive_uses_deflate_by_default(api, acme):
    export_uuid = launch(api, acme).json()["uuid"]
    api.wait_export(export_uuid, acme)
    content = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", acme).content
    infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}


def test_export_compression_can_be_stored(sb, api, acme):
    sb.store.calllogd.export_compression = zipfile.ZIP_STORED
    export_uuid = launch(api, acme).json()["uuid"]
    api.wait_export(export_uuid, acme)
    content = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", acme).content
    infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}


def test_export_leaves_deleted_recordings_out(sb, api, acme):
    for cdr in sb.store.calllogd.cdrs.values():
        if cdr["id"] % 2:
            for recording in cdr["recordings"]:
                recording["deleted"] = True
    export_uuid = launch(api, acme).json()["uuid"]
    api.wait_export(export_uuid, acme)
    content = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", acme).content
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert sorted(names) == sorted(expected_entries(sb, "acme", LAST_WEEK))


def test_export_without_a_body_is_400(api, acme):
    response = api.call("POST", EXPORT, acme, params=LAST_WEEK)
    assert response.status_code == 400


def test_export_with_no_recording_to_export_is_400_and_creates_nothing(sb, api, acme):
    future = {"from": NOW.isoformat(), "until": (NOW + timedelta(weeks=1)).isoformat()}
    response = launch(api, acme, future)
    assert response.status_code == 400
    assert response.json()["error_id"] == "no-recording-to-export"
    assert sb.store.calllogd.exports == {}


def test_export_rejects_a_bare_date(api, acme):
    response = launch(api, acme, {"from": "2024-05-27"})
    assert response.status_code == 400
    assert "from" in response.json()["details"]


def test_export_ignores_unknown_parameters(api, acme):
    assert launch(api, acme, {**LAST_WEEK, "limit": "2", "color": "red"}).status_code == 202


def test_export_cdr_ids_in_the_body_narrow_the_export(sb, api, acme):
    wanted_name, _ = next(iter(expected_entries(sb, "acme", LAST_WEEK).items()))
    cdr_id = int(wanted_name.split("/")[0])
    body = {"cdr_ids": [cdr_id]}
    export_uuid = api.call("POST", EXPORT, acme, params=LAST_WEEK, json=body).json()["uuid"]
    api.wait_export(export_uuid, acme)
    content = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", acme).content
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert {name.split("/")[0] for name in names} == {str(cdr_id)}


def test_export_records_the_email_and_mails_it_when_finished(sb, api, acme):
    params = {**LAST_WEEK, "email": "ops@acme.example.com"}
    export_uuid = launch(api, acme, params).json()["uuid"]
    api.wait_export(export_uuid, acme)
    assert sb.store.calllogd.exports[export_uuid]["email"] == "ops@acme.example.com"
    assert [mail["export_uuid"] for mail in sb.store.calllogd.sent_emails] == [export_uuid]


def test_export_belongs_to_the_token_tenant_not_to_wazo_tenant(sb, api, root):
    export_uuid = launch(api, root, tenant="acme").json()["uuid"]
    export = api.wait_export(export_uuid, root)
    assert export["tenant_uuid"] == sb.store.master_tenant_uuid
    assert export["status"] == "finished"


def test_export_download_with_the_sub_tenant_header_is_404(api, root):
    export_uuid = launch(api, root, tenant="acme").json()["uuid"]
    api.wait_export(export_uuid, root)
    path = f"{CALLLOGD}/exports/{export_uuid}/download"
    with_header = api.call("GET", path, root, tenant="acme")
    without_header = api.call("GET", path, root)
    assert with_header.status_code == 404
    assert with_header.json()["error_id"] == "export-not-found-with-given-uuid"
    assert without_header.status_code == 200


def test_export_of_a_sub_tenant_is_visible_but_not_downloadable_from_the_parent(api, acme, root):
    export_uuid = launch(api, acme).json()["uuid"]
    api.wait_export(export_uuid, acme)
    shown = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}", root)
    download = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", root)
    assert shown.status_code == 200
    assert download.status_code == 404


def test_export_of_another_tenant_is_404(sb, api, acme):
    export_uuid = launch(api, acme).json()["uuid"]
    globex = mint_token(sb, "globex")
    response = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}", globex)
    assert response.status_code == 404
    assert response.json()["details"] == {"export_uuid": export_uuid}


def test_failed_export_ends_in_error_and_downloads_as_404(sb, api, acme):
    sb.store.calllogd.fail_next_exports = 1
    failed = launch(api, acme).json()["uuid"]
    healthy = launch(api, acme).json()["uuid"]
    assert api.wait_export(failed, acme)["status"] == "error"
    assert api.wait_export(healthy, acme)["status"] == "finished"
    response = api.call("GET", f"{CALLLOGD}/exports/{failed}/download", acme)
    assert response.status_code == 404
    assert response.json()["error_id"] == "export-not-found-with-given-uuid"


def test_purged_export_and_its_zip_disappear(sb, api, acme):
    export_uuid = launch(api, acme).json()["uuid"]
    api.wait_export(export_uuid, acme)
    zip_path = sb.store.calllogd.exports[export_uuid]["path"]
    sb.store.calllogd.purge_export(export_uuid)
    response = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}", acme)
    assert response.status_code == 404
    assert not zip_path.exists()


def test_export_with_a_path_that_is_not_a_uuid_is_a_flask_html_404(api, acme):
    response = api.call("GET", f"{CALLLOGD}/exports/not-a-uuid", acme)
    assert response.status_code == 404
    assert response.text.startswith("<!doctype html>")


def test_recursive_export_without_tenants_read_acl_falls_back_to_the_own_tenant(sb, api):
    acl = ["call-logd.cdr.recordings.media.export.create", "call-logd.exports.#"]
    token = mint_token(sb, "acme", acl)
    response = launch(api, token, {**LAST_WEEK, "recurse": "true"})
    assert response.status_code == 202


def test_recursive_export_from_the_master_tenant_covers_the_sub_tenants(sb, api, root):
    export_uuid = launch(api, root, {**LAST_WEEK, "recurse": "true"}).json()["uuid"]
    api.wait_export(export_uuid, root)
    content = api.call("GET", f"{CALLLOGD}/exports/{export_uuid}/download", root).content
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    expected = {
        **expected_entries(sb, "acme", LAST_WEEK),
        **expected_entries(sb, "globex", LAST_WEEK),
    }
    assert sorted(names) == sorted(expected)
