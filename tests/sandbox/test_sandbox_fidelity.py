"""Behaviours of the real daemons that the recorded corpus does not reach on its own."""

from __future__ import annotations

import time

import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox

CONFD = "/api/confd/1.1"
CALLLOGD = "/api/call-logd/1.0"
CALLD = "/api/calld/1.0"


def _acme(sandbox: Sandbox) -> str:
    return sandbox.store.tenant("acme")["uuid"]


def _recorded(sandbox: Sandbox, slug: str = "acme") -> tuple[int, str]:
    tenant = sandbox.store.tenant(slug)["uuid"]
    for cdr in sandbox.store.calllogd.cdrs.values():
        live = [r for r in cdr["recordings"] if not r["deleted"]]
        if cdr["tenant_uuid"] == tenant and live:
            return cdr["id"], live[0]["uuid"]
    raise AssertionError("no recording in the seed")


def test_query_token_authenticates_cdr_listing_and_media_download(
    sandbox: Sandbox, http: requests.Session, login
) -> None:
    token = login("admin-acme")["token"]
    cdr_id, recording = _recorded(sandbox)
    listing = http.get(f"{sandbox.url}{CALLLOGD}/cdr", params={"token": token, "limit": 1})
    assert listing.status_code == 200
    media = http.get(
        f"{sandbox.url}{CALLLOGD}/cdr/{cdr_id}/recordings/{recording}/media",
        params={"token": token},
    )
    assert media.status_code == 200
    assert media.content.startswith(b"RIFF")


def test_query_token_downloads_a_finished_export(
    sandbox: Sandbox, http: requests.Session, acme: requests.Session, login
) -> None:
    token = acme.headers["X-Auth-Token"]
    launched = acme.post(
        f"{sandbox.url}{CALLLOGD}/cdr/recordings/media/export",
        params={"from": "2000-01-01T00:00:00+00:00", "until": "2100-01-01T00:00:00+00:00"},
        json={},
    )
    export_uuid = launched.json()["uuid"]
    deadline = time.monotonic() + 10
    while acme.get(f"{sandbox.url}{CALLLOGD}/exports/{export_uuid}").json()["status"] != (
        "finished"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    download = http.get(
        f"{sandbox.url}{CALLLOGD}/exports/{export_uuid}/download", params={"token": token}
    )
    assert download.status_code == 200
    assert download.content.startswith(b"PK\x03\x04")


@pytest.mark.parametrize(
    "path", [f"{CONFD}/users", f"{CALLLOGD}/retention", f"{CALLD}/calls", f"{CALLLOGD}/status"]
)
def test_query_token_is_refused_where_the_daemon_reads_only_the_header(
    sandbox: Sandbox, http: requests.Session, login, path: str
) -> None:
    token = login()["token"]
    response = http.get(f"{sandbox.url}{path}", params={"token": token})
    assert response.status_code == 401


def test_a_recording_whose_file_is_gone_is_500_and_its_export_ends_in_error(
    sandbox: Sandbox, acme: requests.Session
) -> None:
    cdr_id, recording = _recorded(sandbox)
    sandbox.store.calllogd.missing_media.add(recording)
    media = acme.get(f"{sandbox.url}{CALLLOGD}/cdr/{cdr_id}/recordings/{recording}/media")
    assert media.status_code == 500
    assert media.json()["error_id"] == "recording-media-filesystem-not-found"
    start = sandbox.store.calllogd.cdrs[cdr_id]["start"]
    launched = acme.post(
        f"{sandbox.url}{CALLLOGD}/cdr/recordings/media/export",
        params={"from": start, "until": "2100-01-01T00:00:00+00:00"},
        json={},
    )
    assert launched.status_code == 202
    export_url = f"{sandbox.url}{CALLLOGD}/exports/{launched.json()['uuid']}"
    deadline = time.monotonic() + 10
    while (status := acme.get(export_url).json()["status"]) in ("pending", "processing"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status == "error"
    assert acme.get(f"{export_url}/download").status_code == 404


def test_csv_comes_only_with_format_csv_not_with_an_accept_header(
    sandbox: Sandbox, acme: requests.Session
) -> None:
    url = f"{sandbox.url}{CALLLOGD}/cdr"
    by_accept = acme.get(url, params={"limit": 1}, headers={"Accept": "text/csv; charset=utf-8"})
    assert by_accept.headers["Content-Type"] == "application/json"
    by_format = acme.get(url, params={"limit": 1, "format": "csv"})
    assert by_format.headers["Content-Disposition"] == "attachment; filename=cdr.csv"
    assert by_format.text.startswith("id,tenant_uuid,answered,start,answer,end,")


def test_csv_flattens_every_recording_of_the_page(sandbox: Sandbox, acme: requests.Session) -> None:
    cdr_id, _ = _recorded(sandbox)
    cdr = sandbox.store.calllogd.cdrs[cdr_id]
    response = acme.get(f"{sandbox.url}{CALLLOGD}/cdr/{cdr_id}", params={"format": "csv"})
    header, row = response.text.splitlines()[:2]
    count = len(cdr["recordings"])
    assert header.endswith(f"recording_{count}_deleted,recording_{count}_filename")
    assert row.startswith(f"{cdr_id},{cdr['tenant_uuid']},")


def test_group_put_with_a_legacy_name_sets_the_label(
    sandbox: Sandbox, root: requests.Session
) -> None:
    group = next(iter(sandbox.store.confd.groups.values()))
    url = f"{sandbox.url}{CONFD}/groups/{group['uuid']}"
    name = group["name"]
    body = {"name": "Renamed", "ignore_forward": group["ignore_forward"]}
    assert root.put(url, json=body).status_code == 204
    after = root.get(url).json()
    assert after["label"] == "Renamed"
    assert after["name"] == name


def test_a_refused_path_value_is_a_404_before_the_token_is_looked_at(
    sandbox: Sandbox, http: requests.Session
) -> None:
    for path in (f"{CONFD}/queues/support", f"{CALLLOGD}/cdr/x", f"{CONFD}/users/someone"):
        response = http.get(f"{sandbox.url}{path}")
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("text/html")


def test_confd_401_echoes_the_token_acl_and_asked_tenant(
    sandbox: Sandbox, limited, http: requests.Session
) -> None:
    session = limited("confd.users.read")
    token = session.headers["X-Auth-Token"]
    acme = _acme(sandbox)
    response = session.get(f"{sandbox.url}{CONFD}/groups", headers={"Wazo-Tenant": acme})
    assert response.status_code == 401
    assert response.json() == [f"('{token}', 'confd.groups.read', '{acme}')"]


def test_confd_infos_names_the_stack(sandbox: Sandbox, root: requests.Session) -> None:
    infos = root.get(f"{sandbox.url}{CONFD}/infos").json()
    assert infos == {"uuid": sandbox.store.auth.xivo_uuid, "wazo_version": "26.08"}


def test_auth_status_is_head_only(sandbox: Sandbox, http: requests.Session) -> None:
    assert http.head(f"{sandbox.url}/api/auth/0.1/status").status_code == 200
    get = http.get(f"{sandbox.url}/api/auth/0.1/status")
    assert get.status_code == 405
    assert get.json() == {"message": "The method is not allowed for the requested URL."}
