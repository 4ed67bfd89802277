"""GET/PUT /retention of the emulated call-logd."""

from __future__ import annotations

import pytest
from calllogd_sandbox import CALLLOGD

RETENTION = f"{CALLLOGD}/retention"


def test_retention_of_a_fresh_tenant_is_unset_with_the_defaults(api, acme):
    body = api.call("GET", RETENTION, acme).json()
    assert body == {
        "tenant_uuid": api.tenant("acme"),
        "cdr_days": None,
        "export_days": None,
        "recording_days": None,
        "default_cdr_days": 365,
        "default_export_days": 2,
        "default_recording_days": 365,
    }


def test_retention_put_is_204_and_shown_by_get(api, acme):
    days = {"cdr_days": 365, "export_days": 7, "recording_days": 90}
    response = api.call("PUT", RETENTION, acme, json=days)
    body = api.call("GET", RETENTION, acme).json()
    assert response.status_code == 204
    assert {key: body[key] for key in days} == days


def test_retention_put_resets_omitted_keys_to_null(api, acme):
    api.call("PUT", RETENTION, acme, json={"cdr_days": 365, "export_days": 7, "recording_days": 90})
    api.call("PUT", RETENTION, acme, json={"recording_days": 30})
    body = api.call("GET", RETENTION, acme).json()
    assert (body["cdr_days"], body["export_days"], body["recording_days"]) == (None, None, 30)


def test_retention_put_ignores_read_only_keys(api, acme):
    body = {"cdr_days": 10, "default_cdr_days": 1, "tenant_uuid": api.tenant("globex")}
    assert api.call("PUT", RETENTION, acme, json=body).status_code == 204
    assert api.call("GET", RETENTION, acme).json()["default_cdr_days"] == 365


def test_retention_recording_days_above_cdr_days_is_400(api, acme):
    response = api.call("PUT", RETENTION, acme, json={"cdr_days": 30, "recording_days": 90})
    assert response.status_code == 400
    assert response.json()["error_id"] == "invalid-data"
    assert "recording_days" in response.json()["details"]


@pytest.mark.parametrize("value", [-1, "many", True, 1.5])
def test_retention_days_must_be_integers_not_below_zero(api, acme, value):
    response = api.call("PUT", RETENTION, acme, json={"export_days": value})
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"export_days"}


def test_retention_put_without_body_is_400(api, acme):
    assert api.call("PUT", RETENTION, acme).status_code == 400


def test_retention_is_per_tenant_without_recursion(api, root):
    api.call("PUT", RETENTION, root, tenant="acme", json={"cdr_days": 100})
    assert api.call("GET", RETENTION, root, tenant="acme").json()["cdr_days"] == 100
    assert api.call("GET", RETENTION, root, tenant="globex").json()["cdr_days"] is None
    assert api.call("GET", RETENTION, root).json()["cdr_days"] is None


def test_retention_of_a_tenant_the_token_cannot_see_is_401(api, acme):
    assert api.call("GET", RETENTION, acme, tenant="globex").status_code == 401


def test_status_reports_the_task_queue(api, acme):
    body = api.call("GET", f"{CALLLOGD}/status", acme).json()
    assert body["task_queue"]["status"] == "ok"
