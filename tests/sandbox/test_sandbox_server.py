"""The sandbox's HTTP framework: keep-alive, routing, authentication, faults, log, latency."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox, SeedSpec

AUTH = "/api/auth/0.1"
CONFD = "/api/confd/1.1"
CDR = "/api/call-logd/1.0/cdr"


def test_keep_alive_serves_many_requests_on_one_connection(sandbox: Sandbox) -> None:
    conn = http.client.HTTPConnection(urlsplit(sandbox.url).hostname, urlsplit(sandbox.url).port)
    try:
        conn.request("HEAD", f"{AUTH}/status")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        for _ in range(3):
            conn.request("GET", f"{CONFD}/users")
            response = conn.getresponse()
            response.read()
            assert response.status == 401
            assert not response.will_close
        assert conn.sock is sock
    finally:
        conn.close()


def test_json_answers_carry_content_length(sandbox: Sandbox, http: requests.Session) -> None:
    response = http.get(f"{sandbox.url}{CONFD}/users")
    assert int(response.headers["Content-Length"]) == len(response.content)


@pytest.mark.parametrize("service", ["auth/0.1", "confd/1.1", "call-logd/1.0", "calld/1.0"])
def test_unknown_path_is_flask_html_404_before_any_token_check(
    sandbox: Sandbox, http: requests.Session, service: str
) -> None:
    response = http.get(f"{sandbox.url}/api/{service}/nothing-here")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>")


def test_wrong_method_on_a_known_path_is_405(sandbox: Sandbox, http: requests.Session) -> None:
    response = http.post(f"{sandbox.url}{CONFD}/users/1")
    assert response.status_code == 405
    assert "PUT" in response.headers["Allow"]


def test_unknown_token_is_401_in_confd_list_shape(sandbox: Sandbox, http: requests.Session) -> None:
    response = http.get(f"{sandbox.url}{CONFD}/users", headers={"X-Auth-Token": "nope"})
    assert response.status_code == 401
    assert isinstance(response.json(), list)


def test_unknown_token_is_401_not_found_or_expired_in_call_logd(
    sandbox: Sandbox, http: requests.Session
) -> None:
    response = http.get(f"{sandbox.url}{CDR}", headers={"X-Auth-Token": "nope"})
    assert response.status_code == 401
    assert response.json()["error_id"] == "unauthorized"
    assert response.json()["details"]["reason"] == "not_found_or_expired"


def test_missing_acl_is_401_with_the_required_access(sandbox: Sandbox, limited) -> None:
    session = limited("confd.users.read")
    response = session.get(f"{sandbox.url}{CDR}")
    assert response.status_code == 401
    assert response.json()["details"] == {
        "invalid_token": session.headers["X-Auth-Token"],
        "reason": "missing_permission_or_invalid_tenant",
        "required_access": "call-logd.cdr.read",
    }


def test_acl_template_uses_the_literal_path_value(sandbox: Sandbox, limited) -> None:
    session = limited("confd.users.1.read")
    assert session.get(f"{sandbox.url}{CONFD}/users/1").status_code == 200
    assert session.get(f"{sandbox.url}{CONFD}/users/2").status_code == 401


def test_wazo_tenant_outside_the_token_subtree_is_401(
    sandbox: Sandbox, acme: requests.Session
) -> None:
    globex = sandbox.store.tenant("globex")["uuid"]
    response = acme.get(f"{sandbox.url}{CONFD}/users", headers={"Wazo-Tenant": globex})
    assert response.status_code == 401


def test_master_only_route_refuses_a_sub_tenant_token(
    sandbox: Sandbox, acme: requests.Session
) -> None:
    assert acme.get(f"{sandbox.url}{CONFD}/extensions/features").status_code == 401


def test_expire_tokens_expires_access_tokens_but_not_refresh_tokens(
    sandbox: Sandbox, http: requests.Session, login
) -> None:
    data = login(access_type="offline", client_id="expiry")
    headers = {"X-Auth-Token": data["token"]}
    assert http.get(f"{sandbox.url}{CONFD}/groups", headers=headers).status_code == 200
    sandbox.expire_tokens()
    assert http.get(f"{sandbox.url}{CONFD}/groups", headers=headers).status_code == 401
    refreshed = http.post(
        f"{sandbox.url}{AUTH}/token",
        json={"refresh_token": data["refresh_token"], "client_id": "expiry"},
    )
    assert refreshed.status_code == 200


def test_fault_answers_the_next_matching_requests_without_running_the_handler(
    sandbox: Sandbox, root: requests.Session
) -> None:
    sandbox.faults.add(status=503, method="PUT", path=r"/confd/1\.1/users/", count=2)
    url = f"{sandbox.url}{CONFD}/users/1"
    first = root.put(url, json={"online_call_record_enabled": True})
    second = root.put(url, json={"online_call_record_enabled": True})
    assert (first.status_code, second.status_code) == (503, 503)
    assert isinstance(first.json(), list)
    assert sandbox.store.confd.events == []
    assert root.put(url, json={"online_call_record_enabled": True}).status_code == 204
    assert sandbox.store.confd.events == [("user_edited", 1)]


def test_fault_matches_method_and_path_only(sandbox: Sandbox, root: requests.Session) -> None:
    sandbox.faults.add(status=500, method="PUT", path=r"/confd/1\.1/users/")
    assert root.get(f"{sandbox.url}{CONFD}/users/1").status_code == 200
    assert root.get(f"{sandbox.url}{CONFD}/groups").status_code == 200


def test_fault_in_a_xivo_service_uses_the_xivo_shape(
    sandbox: Sandbox, root: requests.Session
) -> None:
    sandbox.faults.add(status=502, path="/call-logd/", count=1)
    response = root.get(f"{sandbox.url}{CDR}")
    assert response.status_code == 502
    assert set(response.json()) >= {"message", "error_id", "details", "timestamp"}


def test_probability_fault_fires_on_part_of_the_requests(
    sandbox: Sandbox, root: requests.Session
) -> None:
    sandbox.faults.add(status=500, probability=0.5, path="/groups")
    statuses = [root.get(f"{sandbox.url}{CONFD}/groups").status_code for _ in range(60)]
    assert set(statuses) == {200, 500}


def test_probability_faults_follow_the_seed(tmp_path) -> None:
    def draws() -> list[int]:
        with Sandbox(SeedSpec(users=2), spool_dir=tmp_path) as sb, requests.Session() as http:
            sb.faults.add(status=500, probability=0.5, path="/status")
            return [http.head(f"{sb.url}{AUTH}/status").status_code for _ in range(20)]

    assert draws() == draws()


def test_dropped_connection_gets_no_answer_then_service_resumes(
    sandbox: Sandbox, root: requests.Session
) -> None:
    sandbox.faults.add(drop=True, count=1, path="/groups")
    with pytest.raises(requests.ConnectionError):
        root.get(f"{sandbox.url}{CONFD}/groups")
    assert root.get(f"{sandbox.url}{CONFD}/groups").status_code == 200
    assert [entry.status for entry in sandbox.log.find(path="/groups")] == [0, 200]


def test_delay_fault_holds_the_matching_request(sandbox: Sandbox, root: requests.Session) -> None:
    sandbox.faults.add(delay=2.0, count=1, path="/groups")
    with pytest.raises(requests.ReadTimeout):
        root.get(f"{sandbox.url}{CONFD}/groups", timeout=0.2)
    assert root.get(f"{sandbox.url}{CONFD}/groups", timeout=5).status_code == 200


def test_latency_applies_to_every_request(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.latency = 2.0
    with pytest.raises(requests.ReadTimeout):
        http.head(f"{sandbox.url}{AUTH}/status", timeout=0.2)
    sandbox.latency = 0.0
    assert http.head(f"{sandbox.url}{AUTH}/status", timeout=5).status_code == 200


def test_faults_clear(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.faults.add(status=503, path="/status")
    sandbox.faults.clear()
    assert http.head(f"{sandbox.url}{AUTH}/status").status_code == 200


def test_request_log_never_holds_a_secret(sandbox: Sandbox, http: requests.Session, login) -> None:
    data = login(access_type="offline", client_id="log-check")
    token, refresh = data["token"], data["refresh_token"]
    http.post(
        f"{sandbox.url}{AUTH}/token", json={"refresh_token": refresh, "client_id": "log-check"}
    )
    http.get(f"{sandbox.url}{AUTH}/token/{token}", params={"scope": "confd.users.read"})
    http.head(f"{sandbox.url}{AUTH}/token/{token}")
    http.post(f"{sandbox.url}{AUTH}/token/{token}/scopes/check", json={"scopes": ["a"]})
    http.get(f"{sandbox.url}{CONFD}/users", headers={"X-Auth-Token": token})
    http.delete(f"{sandbox.url}{AUTH}/token/{token}")
    logged = repr(list(sandbox.log))
    for secret in (token, refresh, Sandbox.ADMIN_PASSWORD):
        assert secret not in logged
    assert len(sandbox.log) == 7


def test_request_log_records_what_the_server_saw(sandbox: Sandbox, root: requests.Session) -> None:
    acme = sandbox.store.tenant("acme")["uuid"]
    sandbox.log.clear()
    root.put(
        f"{sandbox.url}{CONFD}/users/1",
        params={"x": "1"},
        json={"online_call_record_enabled": True},
        headers={"Wazo-Tenant": acme},
    )
    [entry] = sandbox.log.find(method="PUT", path=r"/users/\d+$", service="confd")
    assert entry.params == {"x": "1"}
    assert entry.tenant == acme
    assert entry.body == {"online_call_record_enabled": True}
    assert entry.status == 204
    assert entry.has_token


def test_stop_closes_kept_alive_connections(tmp_path) -> None:
    sb = Sandbox(SeedSpec(users=2), spool_dir=tmp_path).start()
    url = f"{sb.url}{AUTH}/status"
    with requests.Session() as http:
        assert http.head(url).status_code == 200
        sb.stop()
        with pytest.raises(requests.ConnectionError):
            http.head(url, timeout=2)


def test_head_falls_back_to_get_without_a_body(sandbox: Sandbox, root: requests.Session) -> None:
    response = root.head(f"{sandbox.url}{CONFD}/groups")
    assert response.status_code == 200
    assert response.content == b""
    full = root.get(f"{sandbox.url}{CONFD}/groups")
    assert int(response.headers["Content-Length"]) == len(full.content)
