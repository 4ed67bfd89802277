"""call-logd through the client layer: CDRs, media, exports, retention (docs/wazo-api.md
(call-logd))."""

from __future__ import annotations

import time
import zipfile
from datetime import timedelta

import pytest

from wazo_rec_tools.wazo.http import ApiError

EXPORT = r"/api/call-logd/1\.0/cdr/recordings/media/export"


def test_cdr_list_is_paged(sandbox, wazo):
    cdrs = list(wazo.calllogd.cdrs(recurse=True, page_size=10))
    assert len(cdrs) > 10
    assert len({c["id"] for c in cdrs}) == len(cdrs)
    assert len(sandbox.log.find(method="GET", path=r"/cdr$")) == -(-len(cdrs) // 10) + (
        len(cdrs) % 10 == 0
    )


def test_cdr_list_limit_defaults_to_1000_server_side(sandbox, wazo):
    body = wazo.calllogd.http.get_json("/cdr", params={"recurse": True})
    assert len(body["items"]) == min(1000, body["filtered"])


def test_export_post_sends_an_empty_body_and_explicit_offsets(sandbox, wazo):
    now = sandbox.clock()
    uuid = wazo.calllogd.create_export(from_=now - timedelta(days=60), until=now, recurse=True)
    assert uuid
    (post,) = sandbox.log.find(method="POST", path=EXPORT)
    assert post.body == {}
    assert post.params["from"].endswith("+00:00") and post.params["until"].endswith("+00:00")


def test_naive_datetimes_are_refused_before_sending(sandbox, wazo):
    with pytest.raises(ValueError):
        wazo.calllogd.create_export(
            from_=sandbox.clock().replace(tzinfo=None), until=sandbox.clock()
        )


def test_export_with_nothing_to_export_returns_none(sandbox, wazo):
    now = sandbox.clock()
    assert (
        wazo.calllogd.create_export(from_=now + timedelta(days=1), until=now + timedelta(days=2))
        is None
    )


def test_export_lifecycle_to_a_real_zip(sandbox, wazo, tmp_path):
    now = sandbox.clock()
    acme = wazo.resolve_tenant("acme")
    uuid = wazo.calllogd.create_export(
        from_=now - timedelta(days=60), until=now, tenant=acme["uuid"]
    )
    deadline = time.monotonic() + 10
    while wazo.calllogd.get_export(uuid)["status"] != "finished":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    result = wazo.calllogd.download_export(uuid, tmp_path / "e.zip")
    with zipfile.ZipFile(tmp_path / "e.zip") as archive:
        names = archive.namelist()
    assert result.size == (tmp_path / "e.zip").stat().st_size
    assert names and all(n.count("/") == 1 and n.endswith(".wav") for n in names)


def test_export_belongs_to_the_token_tenant_so_download_with_the_sub_tenant_is_404(
    sandbox, wazo, tmp_path
):
    now = sandbox.clock()
    acme = wazo.resolve_tenant("acme")
    uuid = wazo.calllogd.create_export(
        from_=now - timedelta(days=60), until=now, tenant=acme["uuid"]
    )
    export = wazo.calllogd.get_export(uuid)
    assert export["tenant_uuid"] == wazo.token_tenant != acme["uuid"]
    while wazo.calllogd.get_export(uuid)["status"] != "finished":
        time.sleep(0.05)
    with pytest.raises(ApiError) as info:
        wazo.calllogd.download_export(uuid, tmp_path / "e.zip", tenant=acme["uuid"])
    assert info.value.status == 404
    assert info.value.error_id == "export-not-found-with-given-uuid"


def test_download_while_pending_is_202_not_an_archive(sandbox, wazo, tmp_path):
    sandbox.export_delay = 30
    now = sandbox.clock()
    uuid = wazo.calllogd.create_export(from_=now - timedelta(days=60), until=now, recurse=True)
    with pytest.raises(ApiError) as info:
        wazo.calllogd.download_export(uuid, tmp_path / "e.zip")
    assert info.value.status == 202 and info.value.error_id == "export-not-done-yet"


def test_failed_export_downloads_as_404(sandbox, wazo, tmp_path):
    sandbox.store.calllogd.fail_next_exports = 1
    now = sandbox.clock()
    uuid = wazo.calllogd.create_export(from_=now - timedelta(days=60), until=now, recurse=True)
    while wazo.calllogd.get_export(uuid)["status"] not in ("finished", "error"):
        time.sleep(0.05)
    assert wazo.calllogd.get_export(uuid)["status"] == "error"
    with pytest.raises(ApiError) as info:
        wazo.calllogd.download_export(uuid, tmp_path / "e.zip")
    assert info.value.status == 404


def test_retention_put_resets_omitted_keys(wazo):
    wazo.calllogd.http.request(
        "PUT", "/retention", json={"cdr_days": 100, "recording_days": 50, "export_days": 3}
    )
    wazo.calllogd.http.request("PUT", "/retention", json={"cdr_days": 200})
    body = wazo.calllogd.retention()
    assert (body["cdr_days"], body["recording_days"], body["export_days"]) == (200, None, None)


def test_client_refuses_a_partial_retention_put(sandbox, wazo):
    with pytest.raises(ValueError):
        wazo.calllogd.put_retention({"cdr_days": 10})
    assert not sandbox.log.find(method="PUT")


def test_recording_media_delete_then_download_is_400(wazo, tmp_path):
    cdr = next(
        c
        for c in wazo.calllogd.cdrs(recurse=True, recorded=True)
        if any(not r["deleted"] for r in c["recordings"])
    )
    rec = next(r for r in cdr["recordings"] if not r["deleted"])
    wazo.calllogd.delete_recording(cdr["id"], rec["uuid"])
    with pytest.raises(ApiError) as info:
        wazo.calllogd.download_recording(cdr["id"], rec["uuid"], tmp_path / "x.wav")
    assert info.value.status == 400 and info.value.error_id == "recording-media-not-found"


def test_bulk_delete_is_all_or_nothing(sandbox, wazo):
    cdrs = [
        c
        for c in wazo.calllogd.cdrs(recurse=True, recorded=True)
        if any(not r["deleted"] for r in c["recordings"])
    ]
    with pytest.raises(ApiError) as info:
        wazo.calllogd.delete_recordings([cdrs[0]["id"], 999_999_999])
    assert info.value.status == 404
    assert any(not r["deleted"] for r in wazo.calllogd.get_cdr(cdrs[0]["id"])["recordings"])
    wazo.calllogd.delete_recordings([cdrs[0]["id"]])
    assert all(r["deleted"] for r in wazo.calllogd.get_cdr(cdrs[0]["id"])["recordings"])
