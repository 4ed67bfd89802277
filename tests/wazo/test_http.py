"""The HTTP layer: retries, token renewal, error shapes, streaming, and no secret anywhere."""

from __future__ import annotations

import logging
import tracemalloc

import pytest

from tests.support import connect
from wazo_rec_tools.config import StackConfig
from wazo_rec_tools.sandbox import Sandbox
from wazo_rec_tools.wazo.http import ApiError
from wazo_rec_tools.wazo.stack import Wazo

USERS = r"/api/confd/1\.1/users"


def a_user(wazo: Wazo) -> dict:
    return next(wazo.confd.users(recurse=True))


def test_get_is_retried_after_a_503(sandbox, wazo):
    a_user(wazo)
    sandbox.log.clear()
    sandbox.faults.add(status=503, method="GET", path=USERS, count=1)
    assert a_user(wazo)["uuid"]
    assert [r.status for r in sandbox.log.find(method="GET", path=USERS)] == [503, 200]


def test_put_is_retried_after_a_503(sandbox, wazo):
    user = a_user(wazo)
    sandbox.faults.add(status=503, method="PUT", path=USERS, count=2)
    wazo.confd.update_user(user["uuid"], {"online_call_record_enabled": True})
    assert [r.status for r in sandbox.log.find(method="PUT", path=USERS)] == [503, 503, 204]


def test_a_500_on_put_is_not_retried(sandbox, wazo):
    user = a_user(wazo)
    sandbox.faults.add(status=500, method="PUT", path=USERS, count=1)
    with pytest.raises(ApiError) as info:
        wazo.confd.update_user(user["uuid"], {"online_call_record_enabled": True})
    assert info.value.status == 500
    assert len(sandbox.log.find(method="PUT", path=USERS)) == 1


def test_a_post_is_never_retried(sandbox, wazo):
    path = r"/api/call-logd/1\.0/cdr/recordings/media/export"
    sandbox.faults.add(status=503, method="POST", path=path, count=1)
    now = sandbox.clock()
    with pytest.raises(ApiError) as info:
        wazo.calllogd.create_export(from_=now.replace(year=now.year - 1), until=now)
    assert info.value.status == 503
    assert len(sandbox.log.find(method="POST", path=path)) == 1


def test_a_dropped_connection_on_get_is_retried(sandbox, wazo):
    a_user(wazo)
    sandbox.faults.add(drop=True, method="GET", path=USERS, count=1)
    assert a_user(wazo)["uuid"]


def test_gives_up_after_the_retries_with_a_clear_error(sandbox, wazo):
    sandbox.faults.add(status=503, method="GET", path=USERS, count=10)
    with pytest.raises(ApiError) as info:
        a_user(wazo)
    assert info.value.status == 503
    assert str(info.value).startswith("confd: GET /users -> 503")
    assert len(sandbox.log.find(method="GET", path=USERS)) == 4  # 1 + 3 retries


def test_a_timeout_is_reported_without_traceback_material(sandbox):
    wazo = Wazo(StackConfig(url=sandbox.url, timeout=0.3), retries=0)
    wazo.login(Sandbox.ADMIN_USERNAME, Sandbox.ADMIN_PASSWORD)
    wazo.tokens.get()
    sandbox.faults.add(delay=1.0, method="GET", path=USERS, count=1)
    with pytest.raises(ApiError) as info:
        a_user(wazo)
    assert info.value.status is None
    assert "no answer from" in info.value.message
    wazo.close()


def test_closed_port_says_cannot_connect():
    wazo = Wazo(StackConfig(url="http://127.0.0.1:9", timeout=1), retries=0)
    with pytest.raises(ApiError, match=r"cannot connect to http://127\.0\.0\.1:9/api/auth/0\.1"):
        wazo.auth.status()


def test_expired_token_is_renewed_once_and_the_request_replayed(sandbox, wazo):
    a_user(wazo)
    sandbox.expire_tokens()
    sandbox.log.clear()
    assert a_user(wazo)["uuid"]
    statuses = [(r.method, r.service, r.status) for r in sandbox.log.find()]
    assert statuses == [
        ("GET", "confd", 401),
        ("POST", "auth", 200),
        ("GET", "confd", 200),
    ]


def test_expired_refresh_based_token_is_renewed_from_the_refresh_token(sandbox, wazo):
    refresh = wazo.auth.create_refresh_token(
        username=Sandbox.ADMIN_USERNAME, password=Sandbox.ADMIN_PASSWORD, client_id="t"
    )
    with Wazo(StackConfig(url=sandbox.url)).login_refresh(refresh, "t") as service:
        first = service.tokens.get()
        sandbox.expire_tokens()
        assert a_user(service)
        assert service.tokens.get() != first


def test_confd_error_list_is_joined_into_the_message(wazo):
    user = a_user(wazo)
    with pytest.raises(ApiError) as info:
        wazo.confd.http.request(
            "PUT", f"/users/{user['uuid']}", json={"online_call_record_enabled": "true"}
        )
    assert info.value.status == 400
    assert info.value.message == (
        "Input Error - online_call_record_enabled: ['Not a valid boolean.']"
    )


def test_call_logd_error_keeps_its_error_id_and_details(wazo):
    with pytest.raises(ApiError) as info:
        wazo.calllogd.http.get_json("/cdr", params={"from": "2024-01-01"})
    assert info.value.status == 400
    assert info.value.error_id == "invalid-data"
    assert "from" in info.value.details
    assert "from:" in info.value.message


def test_auth_legacy_error_shape_is_read(wazo):
    with pytest.raises(ApiError) as info:
        wazo.auth.create_token(username="root", password="wrong")
    assert info.value.status == 401
    assert info.value.message == "Authentication Failed"


def test_flask_message_shape_is_read(wazo):
    with pytest.raises(ApiError) as info:
        wazo.confd.http.get_json("/no-such-resource")
    assert info.value.status == 404
    assert info.value.message


def test_401_from_confd_never_echoes_the_token(sandbox, wazo):
    token = wazo.tokens.get()
    sandbox.expire_tokens()
    wazo.tokens.renewable = False  # see the raw 401
    with pytest.raises(ApiError) as info:
        a_user(wazo)
    assert info.value.status == 401
    assert token not in str(info.value)
    assert "token was refused" in info.value.message


def test_token_travels_in_the_header_only(sent, wazo):
    a_user(wazo)
    token = wazo.tokens.get()
    for request in sent:
        assert token not in request.url
    assert any(r.headers.get("X-Auth-Token") == token for r in sent)


def test_refresh_token_login_sends_no_basic_auth(sandbox, wazo):
    refresh = wazo.auth.create_refresh_token(
        username=Sandbox.ADMIN_USERNAME, password=Sandbox.ADMIN_PASSWORD, client_id="t"
    )
    service = Wazo(StackConfig(url=sandbox.url)).login_refresh(refresh, "t")
    seen = []
    service.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request))
    service.tokens.get()
    (post,) = [r for r in seen if r.method == "POST"]
    assert "Authorization" not in post.headers
    assert refresh not in post.url
    service.close()


def test_wazo_tenant_header_is_sent_when_asked(sandbox, wazo):
    acme = wazo.resolve_tenant("acme")
    list(wazo.confd.users(tenant=acme["uuid"]))
    (request,) = sandbox.log.find(method="GET", path=USERS)
    assert request.tenant == acme["uuid"]


def test_download_streams_with_bounded_memory(sandbox, wazo, tmp_path):
    cdr = next(c for c in wazo.calllogd.cdrs(recurse=True, recorded=True) if c["recordings"])
    recording = next(r for r in cdr["recordings"] if not r["deleted"])
    sandbox.store.calllogd.set_media_size(recording["uuid"], 40 * 1024 * 1024)
    tracemalloc.start()
    result = wazo.calllogd.download_recording(cdr["id"], recording["uuid"], tmp_path / "r.wav")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.size == 40 * 1024 * 1024 == (tmp_path / "r.wav").stat().st_size
    assert peak < 8 * 1024 * 1024


def test_no_secret_in_errors_or_logs(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    wazo = connect(sandbox)
    token = wazo.tokens.get()
    sandbox.faults.add(status=503, method="GET", path=USERS, count=10)
    with pytest.raises(ApiError) as info:
        a_user(wazo)
    wazo.close()
    text = str(info.value) + repr(info.value.details) + caplog.text
    for secret in (token, Sandbox.ADMIN_PASSWORD):
        assert secret not in text
    for request in sandbox.log.find():
        assert token not in request.path
