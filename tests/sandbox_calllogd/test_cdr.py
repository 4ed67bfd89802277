"""GET /cdr and GET /cdr/{id} of the emulated call-logd."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from calllogd_sandbox import CALLLOGD, NOW, Api, mint_token, small_spec

from wazo_rec_tools.sandbox import Sandbox


def acme_cdrs(sb: Sandbox) -> list[dict]:
    acme = sb.store.tenant("acme")["uuid"]
    return [cdr for cdr in sb.store.calllogd.cdrs.values() if cdr["tenant_uuid"] == acme]


def test_seed_gives_each_tenant_its_weekly_cdrs_before_now(sb):
    cdrs = acme_cdrs(sb)
    starts = [datetime.fromisoformat(cdr["start"]) for cdr in cdrs]
    assert len(cdrs) == 3 * 15
    assert max(starts) < NOW
    assert min(starts) >= NOW - timedelta(weeks=3)


def test_seed_is_deterministic(tmp_path):
    first = Sandbox(small_spec(), spool_dir=tmp_path / "a")
    second = Sandbox(small_spec(), spool_dir=tmp_path / "b")
    assert first.store.calllogd.cdrs == second.store.calllogd.cdrs
    assert first.store.calld.calls == second.store.calld.calls


def test_seed_has_cdrs_without_recordings_with_two_and_with_deleted_ones(tmp_path):
    sb = Sandbox(small_spec(cdrs_per_week=100), spool_dir=tmp_path / "spool")
    counts = {len(cdr["recordings"]) for cdr in sb.store.calllogd.cdrs.values()}
    deleted = [
        recording
        for cdr in sb.store.calllogd.cdrs.values()
        for recording in cdr["recordings"]
        if recording["deleted"]
    ]
    assert counts == {0, 1, 2}
    assert deleted


def test_recording_filename_is_start_utc_cdr_id_and_uuid(sb):
    for cdr in sb.store.calllogd.cdrs.values():
        for recording in cdr["recordings"]:
            start = datetime.fromisoformat(recording["start_time"])
            expected = f"{start:%Y-%m-%dT%H_%M_%SUTC}-{cdr['id']}-{recording['uuid']}.wav"
            assert recording["filename"] == expected


def test_cdr_sources_are_users_of_the_cdr_tenant(sb):
    users = {user["uuid"]: user for user in sb.store.confd.users.values()}
    for cdr in sb.store.calllogd.cdrs.values():
        for key in ("source_user_uuid", "destination_user_uuid"):
            if cdr[key] is not None:
                assert users[cdr[key]]["tenant_uuid"] == cdr["tenant_uuid"]


def test_cdr_list_default_limit_is_1000(tmp_path):
    spec = small_spec(tenants=1, weeks=1, cdrs_per_week=1100)
    with Sandbox(spec, spool_dir=tmp_path / "spool") as big:
        body = Api(big).call("GET", f"{CALLLOGD}/cdr", mint_token(big, "acme")).json()
    assert len(body["items"]) == 1000
    assert body["total"] == 1100
    assert body["filtered"] > 1000


def test_cdr_list_limit_zero_means_no_limit(api, acme):
    body = api.call("GET", f"{CALLLOGD}/cdr", acme, params={"limit": 0}).json()
    assert len(body["items"]) == body["filtered"]


def test_cdr_list_pages_with_limit_and_offset(api, acme):
    first = api.call("GET", f"{CALLLOGD}/cdr", acme, params={"limit": 10}).json()
    second = api.call("GET", f"{CALLLOGD}/cdr", acme, params={"limit": 10, "offset": 10}).json()
    everything = api.call("GET", f"{CALLLOGD}/cdr", acme, params={"limit": 20}).json()
    assert [c["id"] for c in first["items"] + second["items"]] == [
        c["id"] for c in everything["items"]
    ]


def test_cdr_list_is_newest_first_by_default(api, acme):
    items = api.call("GET", f"{CALLLOGD}/cdr", acme).json()["items"]
    starts = [datetime.fromisoformat(cdr["start"]) for cdr in items]
    assert starts == sorted(starts, reverse=True)


def test_cdr_list_order_by_id_ascending(api, acme):
    params = {"order": "id", "direction": "asc"}
    items = api.call("GET", f"{CALLLOGD}/cdr", acme, params=params).json()["items"]
    assert [cdr["id"] for cdr in items] == sorted(cdr["id"] for cdr in items)


def test_cdr_list_rejects_an_unknown_order_field(api, acme):
    response = api.call("GET", f"{CALLLOGD}/cdr", acme, params={"order": "recordings"})
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"order"}


def test_cdr_list_rejects_a_bare_date(api, acme):
    response = api.call("GET", f"{CALLLOGD}/cdr", acme, params={"from": "2024-05-01"})
    assert response.status_code == 400
    assert response.json()["error_id"] == "invalid-data"
    assert response.json()["details"]["from"]["constraint"] == "datetime"


def test_cdr_list_window_is_start_inclusive_until_exclusive(sb, api, acme):
    cdr = acme_cdrs(sb)[5]
    params = {"from": cdr["start"], "until": cdr["start"], "limit": 0}
    assert api.call("GET", f"{CALLLOGD}/cdr", acme, params=params).json()["items"] == []
    params["until"] = (datetime.fromisoformat(cdr["start"]) + timedelta(microseconds=1)).isoformat()
    items = api.call("GET", f"{CALLLOGD}/cdr", acme, params=params).json()["items"]
    assert [item["id"] for item in items] == [cdr["id"]]


def test_cdr_list_reads_a_naive_datetime_as_utc(api, acme):
    naive = {"from": "2024-05-27T00:00:00", "limit": 0}
    explicit = {"from": "2024-05-27T02:00:00+02:00", "limit": 0}
    first = api.call("GET", f"{CALLLOGD}/cdr", acme, params=naive).json()
    second = api.call("GET", f"{CALLLOGD}/cdr", acme, params=explicit).json()
    assert first["filtered"] == second["filtered"] > 0


def test_cdr_list_excludes_blocked_calls_unless_asked(sb, api, acme):
    blocked = acme_cdrs(sb)[0]
    blocked["call_status"] = "blocked"
    ids = [c["id"] for c in api.call("GET", f"{CALLLOGD}/cdr", acme).json()["items"]]
    params = {"call_status": "blocked"}
    asked = api.call("GET", f"{CALLLOGD}/cdr", acme, params=params).json()["items"]
    assert blocked["id"] not in ids
    assert blocked["id"] in [c["id"] for c in asked]


def test_cdr_list_user_uuid_matches_source_or_destination(sb, api, acme):
    user_uuid = next(c["source_user_uuid"] for c in acme_cdrs(sb) if c["source_user_uuid"])
    items = api.call("GET", f"{CALLLOGD}/cdr", acme, params={"user_uuid": user_uuid}).json()
    assert items["filtered"] > 0
    for cdr in items["items"]:
        assert user_uuid in (cdr["source_user_uuid"], cdr["destination_user_uuid"])


def test_cdr_list_recorded_keeps_calls_with_recordings(api, acme):
    params = {"recorded": "true", "limit": 0}
    items = api.call("GET", f"{CALLLOGD}/cdr", acme, params=params).json()["items"]
    assert items and all(cdr["recordings"] for cdr in items)


def test_cdr_list_of_master_tenant_needs_recurse_to_see_sub_tenants(api, root):
    alone = api.call("GET", f"{CALLLOGD}/cdr", root).json()
    recursive = api.call("GET", f"{CALLLOGD}/cdr", root, params={"recurse": "true"}).json()
    assert alone["total"] == 0
    assert recursive["total"] == 2 * 3 * 15


def test_cdr_list_tenant_query_parameter_selects_the_tenant(api, root):
    body = api.call("GET", f"{CALLLOGD}/cdr", root, params={"tenant": api.tenant("acme")}).json()
    assert body["total"] == 3 * 15


def test_cdr_list_tenant_query_parameter_outside_the_token_tenants_is_401(api, acme):
    params = {"tenant": api.tenant("globex")}
    assert api.call("GET", f"{CALLLOGD}/cdr", acme, params=params).status_code == 401


def test_cdr_list_as_csv_is_an_attachment_with_recording_columns(api, acme):
    params = {"format": "csv", "limit": 5, "recorded": "true"}
    response = api.call("GET", f"{CALLLOGD}/cdr", acme, params=params)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert response.headers["Content-Disposition"] == "attachment; filename=cdr.csv"
    assert len(rows) == 5
    assert all(row["recording_1_filename"].endswith(".wav") for row in rows)


def test_cdr_get_by_id_looks_into_sub_tenants(sb, api, root):
    cdr = acme_cdrs(sb)[0]
    body = api.call("GET", f"{CALLLOGD}/cdr/{cdr['id']}", root).json()
    assert body["id"] == cdr["id"]


def test_cdr_get_by_id_of_another_tenant_is_404(sb, api):
    cdr = acme_cdrs(sb)[0]
    response = api.call("GET", f"{CALLLOGD}/cdr/{cdr['id']}", mint_token(sb, "globex"))
    assert response.status_code == 404
    assert response.json()["error_id"] == "cdr-not-found-with-given-id"


@pytest.mark.parametrize("cdr_id", ["abc", "1.5"])
def test_cdr_get_with_a_non_integer_id_is_a_flask_html_404(api, acme, cdr_id):
    response = api.call("GET", f"{CALLLOGD}/cdr/{cdr_id}", acme)
    assert response.status_code == 404
    assert response.text.startswith("<!doctype html>")


def test_cdr_ids_follow_start_order(sb):
    cdrs = sorted(sb.store.calllogd.cdrs.values(), key=lambda cdr: cdr["id"])
    starts = [datetime.fromisoformat(cdr["start"]) for cdr in cdrs]
    assert starts == sorted(starts)


def test_cdr_start_carries_an_utc_offset(sb):
    for cdr in sb.store.calllogd.cdrs.values():
        assert re.search(r"\+00:00$", cdr["start"])
