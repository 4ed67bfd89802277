"""The wazo-auth emulation (docs/wazo-api.md, auth): tokens, refresh tokens, tenants, users,
policies."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox

AUTH = "/api/auth/0.1"

UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def post_token(sandbox: Sandbox, http: requests.Session, body: dict, **kwargs) -> requests.Response:
    return http.post(f"{sandbox.url}{AUTH}/token", json=body, **kwargs)


def test_token_data_has_utc_expiry_metadata_and_acl(sandbox: Sandbox, login) -> None:
    data = login()
    issued = datetime.strptime(data["utc_issued_at"], UTC_FORMAT)
    expires = datetime.strptime(data["utc_expires_at"], UTC_FORMAT)
    assert (expires - issued).total_seconds() == 7200
    assert data["metadata"]["tenant_uuid"] == sandbox.store.master_tenant_uuid
    assert data["metadata"]["purpose"] == "internal"
    assert data["acl"] == ["#"]
    assert "refresh_token" not in data


def test_token_expiration_is_honoured(login) -> None:
    data = login(expiration=60)
    issued = datetime.strptime(data["utc_issued_at"], UTC_FORMAT)
    expires = datetime.strptime(data["utc_expires_at"], UTC_FORMAT)
    assert (expires - issued).total_seconds() == 60


@pytest.mark.parametrize("expiration", [0, 315_360_001, "soon", True])
def test_token_expiration_out_of_range_is_400(
    sandbox: Sandbox, http: requests.Session, expiration
) -> None:
    response = post_token(
        sandbox, http, {"expiration": expiration}, auth=("root", Sandbox.ADMIN_PASSWORD)
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 400


@pytest.mark.parametrize(
    "body",
    [
        {"access_type": "offline", "refresh_token": "x", "client_id": "c"},
        {"access_type": "offline"},
        {"refresh_token": "x"},
        {"tenant_id": "t", "domain_name": "d"},
    ],
)
def test_token_request_validation_is_400_legacy(
    sandbox: Sandbox, http: requests.Session, body: dict
) -> None:
    response = post_token(sandbox, http, body, auth=("root", Sandbox.ADMIN_PASSWORD))
    assert response.status_code == 400
    assert set(response.json()) == {"reason", "timestamp", "status_code"}


def test_bad_password_is_401_authentication_failed(
    sandbox: Sandbox, http: requests.Session
) -> None:
    response = post_token(sandbox, http, {}, auth=("root", "wrong"))
    assert response.status_code == 401
    assert response.json()["reason"] == ["Authentication Failed"]


def test_empty_basic_credentials_are_ignored(sandbox: Sandbox, http: requests.Session) -> None:
    assert post_token(sandbox, http, {}, auth=("", "")).status_code == 401


def test_second_offline_login_returns_the_same_refresh_token(login) -> None:
    first = login(access_type="offline", client_id="tool")
    second = login(access_type="offline", client_id="tool")
    assert first["refresh_token"] == second["refresh_token"]
    assert (
        login(access_type="offline", client_id="other")["refresh_token"] != first["refresh_token"]
    )


def test_refresh_needs_no_basic_and_does_not_rotate(
    sandbox: Sandbox, http: requests.Session, login
) -> None:
    refresh = login(access_type="offline", client_id="tool")["refresh_token"]
    for _ in range(2):
        response = post_token(sandbox, http, {"refresh_token": refresh, "client_id": "tool"})
        assert response.status_code == 200
        assert "refresh_token" not in response.json()["data"]


def test_refresh_with_another_client_id_is_401(
    sandbox: Sandbox, http: requests.Session, login
) -> None:
    refresh = login(access_type="offline", client_id="tool")["refresh_token"]
    response = post_token(sandbox, http, {"refresh_token": refresh, "client_id": "other"})
    assert response.status_code == 401


def test_refresh_recomputes_the_acl_from_current_policies(
    sandbox: Sandbox, root: requests.Session, http: requests.Session, login
) -> None:
    base = f"{sandbox.url}{AUTH}"
    user = root.post(f"{base}/users", json={"username": "svc", "password": "pw"}).json()
    refresh = post_token(
        sandbox, http, {"access_type": "offline", "client_id": "c"}, auth=("svc", "pw")
    ).json()["data"]["refresh_token"]
    policy = root.post(f"{base}/policies", json={"name": "p", "acl": ["call-logd.#"]}).json()
    root.put(f"{base}/users/{user['uuid']}/policies/{policy['uuid']}")
    data = post_token(sandbox, http, {"refresh_token": refresh, "client_id": "c"}).json()["data"]
    assert data["acl"] == ["call-logd.#"]


def test_token_check_scope_and_tenant(sandbox: Sandbox, http: requests.Session, login) -> None:
    token = login("admin-acme")["token"]
    url = f"{sandbox.url}{AUTH}/token/{token}"
    globex = sandbox.store.tenant("globex")["uuid"]
    acme = sandbox.store.tenant("acme")["uuid"]
    assert http.get(url, params={"scope": "confd.users.read", "tenant": acme}).status_code == 200
    forbidden = http.get(url, params={"tenant": globex})
    assert forbidden.status_code == 403
    assert forbidden.json()["reason"] == [f"Unauthorized for tenant {globex}"]
    assert http.head(url).status_code == 204
    assert http.head(f"{sandbox.url}{AUTH}/token/unknown").status_code == 404


def test_token_check_of_a_scope_not_held_is_403(sandbox: Sandbox, limited, http) -> None:
    token = limited("confd.users.read").headers["X-Auth-Token"]
    url = f"{sandbox.url}{AUTH}/token/{token}"
    response = http.get(url, params={"scope": "confd.users.1.update"})
    assert response.status_code == 403
    assert response.json()["reason"] == ["Unauthorized for confd.users.1.update"]


def test_scopes_check_answers_a_dict(sandbox: Sandbox, http: requests.Session, limited) -> None:
    token = limited("call-logd.exports.*.read").headers["X-Auth-Token"]
    response = http.post(
        f"{sandbox.url}{AUTH}/token/{token}/scopes/check",
        json={"scopes": ["call-logd.exports.x.read", "call-logd.exports.x.download.read"]},
    )
    assert response.json() == {
        "scopes": {"call-logd.exports.x.read": True, "call-logd.exports.x.download.read": False}
    }


def test_revoke_answers_200_even_for_an_unknown_token(
    sandbox: Sandbox, http: requests.Session, login
) -> None:
    token = login()["token"]
    assert http.delete(f"{sandbox.url}{AUTH}/token/{token}").status_code == 200
    assert http.get(f"{sandbox.url}{AUTH}/token/{token}").status_code == 404
    assert http.delete(f"{sandbox.url}{AUTH}/token/{token}").json() == {
        "data": {"message": "success"}
    }


def test_tenants_lists_the_scoping_tenant_and_its_descendants(
    sandbox: Sandbox, root: requests.Session, acme: requests.Session
) -> None:
    assert root.get(f"{sandbox.url}{AUTH}/tenants").json()["total"] == 3
    items = acme.get(f"{sandbox.url}{AUTH}/tenants").json()["items"]
    assert [tenant["slug"] for tenant in items] == ["acme"]
    by_slug = root.get(f"{sandbox.url}{AUTH}/tenants", params={"slug": "globex"}).json()
    assert [tenant["slug"] for tenant in by_slug["items"]] == ["globex"]


def test_tenant_outside_the_subtree_is_404(sandbox: Sandbox, acme: requests.Session) -> None:
    globex = sandbox.store.tenant("globex")["uuid"]
    response = acme.get(f"{sandbox.url}{AUTH}/tenants/{globex}")
    assert response.status_code == 404
    assert response.json()["error_id"] == "unknown-tenant"


def test_create_user_answers_200_then_409_on_duplicate(
    sandbox: Sandbox, root: requests.Session
) -> None:
    body = {"username": "export", "password": "pw", "purpose": "external_api"}
    created = root.post(f"{sandbox.url}{AUTH}/users", json=body)
    assert created.status_code == 200
    assert created.json()["purpose"] == "external_api"
    assert "password" not in created.json()
    duplicate = root.post(f"{sandbox.url}{AUTH}/users", json=body)
    assert duplicate.status_code == 409
    assert duplicate.json()["error_id"] == "conflict"


def test_users_are_created_in_the_wazo_tenant(sandbox: Sandbox, root: requests.Session) -> None:
    acme = sandbox.store.tenant("acme")["uuid"]
    headers = {"Wazo-Tenant": acme}
    user = root.post(
        f"{sandbox.url}{AUTH}/users", json={"username": "u1", "password": "pw"}, headers=headers
    ).json()
    assert user["tenant_uuid"] == acme
    found = root.get(f"{sandbox.url}{AUTH}/users", params={"username": "u1", "recurse": "true"})
    assert [u["uuid"] for u in found.json()["items"]] == [user["uuid"]]
    assert root.get(f"{sandbox.url}{AUTH}/users", params={"username": "u1"}).json()["items"] == []


def test_policy_duplicate_name_is_409_legacy(sandbox: Sandbox, root: requests.Session) -> None:
    body = {"name": "export", "acl": ["call-logd.#"]}
    assert root.post(f"{sandbox.url}{AUTH}/policies", json=body).status_code == 200
    duplicate = root.post(f"{sandbox.url}{AUTH}/policies", json=body)
    assert duplicate.status_code == 409
    assert set(duplicate.json()) == {"reason", "timestamp", "status_code"}


def test_policy_granting_more_than_the_caller_holds_is_401(sandbox: Sandbox, limited) -> None:
    session = limited("auth.policies.create", "call-logd.#")
    url = f"{sandbox.url}{AUTH}/policies"
    assert session.post(url, json={"name": "ok", "acl": ["call-logd.cdr.read"]}).status_code == 200
    refused = session.post(url, json={"name": "no", "acl": ["confd.#"]})
    assert refused.status_code == 401
    assert refused.json()["details"]["required_access"] == ["confd.#"]


def test_policies_search_by_name(sandbox: Sandbox, root: requests.Session) -> None:
    root.post(f"{sandbox.url}{AUTH}/policies", json={"name": "rec-export", "acl": []})
    found = root.get(f"{sandbox.url}{AUTH}/policies", params={"search": "rec-exp"}).json()
    assert [policy["name"] for policy in found["items"]] == ["rec-export"]


def test_attaching_a_policy_needs_its_acl(
    sandbox: Sandbox, root: requests.Session, limited
) -> None:
    base = f"{sandbox.url}{AUTH}"
    user = root.post(f"{base}/users", json={"username": "target", "password": "pw"}).json()
    policy = root.post(f"{base}/policies", json={"name": "wide", "acl": ["confd.#"]}).json()
    session = limited("auth.users.*.policies.*.create")
    url = f"{base}/users/{user['uuid']}/policies/{policy['uuid']}"
    assert session.put(url).status_code == 401
    assert root.put(url).status_code == 204
    listed = root.get(f"{base}/users/{user['uuid']}/policies").json()
    assert [p["uuid"] for p in listed["items"]] == [policy["uuid"]]


def test_refresh_tokens_are_listed_without_their_value_and_deleted(sandbox: Sandbox, login) -> None:
    data = login(access_type="offline", client_id="tool")
    with requests.Session() as session:
        session.headers["X-Auth-Token"] = data["token"]
        url = f"{sandbox.url}{AUTH}/users/me/tokens"
        items = session.get(url).json()["items"]
        assert [item["client_id"] for item in items] == ["tool"]
        assert data["refresh_token"] not in repr(items)
        assert session.delete(f"{url}/tool").status_code == 204
        missing = session.delete(f"{url}/tool")
        assert missing.status_code == 404
        assert missing.json()["error_id"] == "cannot-find-refresh-token-matching-client-id"


def test_status_needs_no_token(sandbox: Sandbox, http: requests.Session) -> None:
    assert http.head(f"{sandbox.url}{AUTH}/status").status_code == 200


def test_policy_update_replaces_its_acl(sandbox: Sandbox, root: requests.Session) -> None:
    base = f"{sandbox.url}{AUTH}/policies"
    policy = root.post(base, json={"name": "export", "acl": ["call-logd.cdr.read"]}).json()
    body = {"name": "export", "acl": ["call-logd.#"], "description": "wider"}
    updated = root.put(f"{base}/{policy['uuid']}", json=body)
    assert updated.status_code == 200
    assert root.get(f"{base}/{policy['uuid']}").json()["acl"] == ["call-logd.#"]


def test_password_change_revokes_sessions_but_keeps_refresh_tokens(
    sandbox: Sandbox, root: requests.Session, http: requests.Session
) -> None:
    base = f"{sandbox.url}{AUTH}"
    user = root.post(f"{base}/users", json={"username": "svc", "password": "old"}).json()
    data = post_token(
        sandbox, http, {"access_type": "offline", "client_id": "c"}, auth=("svc", "old")
    ).json()["data"]
    body = {"old_password": "old", "new_password": "new"}
    assert root.put(f"{base}/users/{user['uuid']}/password", json=body).status_code == 204
    assert http.get(f"{base}/token/{data['token']}").status_code == 404
    refreshed = post_token(
        sandbox, http, {"refresh_token": data["refresh_token"], "client_id": "c"}
    )
    assert refreshed.status_code == 200
    assert post_token(sandbox, http, {}, auth=("svc", "new")).status_code == 200


def test_deleting_a_user_deletes_its_refresh_tokens(
    sandbox: Sandbox, root: requests.Session, http: requests.Session
) -> None:
    base = f"{sandbox.url}{AUTH}"
    user = root.post(f"{base}/users", json={"username": "svc", "password": "pw"}).json()
    refresh = post_token(
        sandbox, http, {"access_type": "offline", "client_id": "c"}, auth=("svc", "pw")
    ).json()["data"]["refresh_token"]
    assert root.delete(f"{base}/users/{user['uuid']}").status_code == 204
    gone = post_token(sandbox, http, {"refresh_token": refresh, "client_id": "c"})
    assert gone.status_code == 401
