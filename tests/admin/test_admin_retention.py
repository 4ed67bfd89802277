"""`retention show|set`: GET, merge, PUT all three keys, on change only (docs/wazo-api.md, call-logd
§9)."""

from __future__ import annotations

import json

RETENTION = r"/api/call-logd/1\.0/retention$"


def _puts(sandbox):
    return sandbox.log.find(method="PUT", path=RETENTION)


def test_retention_show_by_tenant_slug(run_cli, sandbox):
    acme = sandbox.store.tenant("acme")["uuid"]
    sandbox.log.clear()
    result = run_cli("retention", "show", "--tenant", "acme", "--output", "json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["tenant_uuid"] == acme
    assert shown["cdr_days"] is None and shown["effective_cdr_days"] == 365
    (get,) = sandbox.log.find(method="GET", path=RETENTION)
    assert get.tenant == acme


def test_retention_show_text_marks_unset_values(run_cli):
    result = run_cli("retention", "show", "--tenant", "globex")
    assert result.exit_code == 0, result.stderr
    assert "export_days     unset (default 2)" in result.stdout.splitlines()


def test_retention_set_keeps_the_keys_not_given(run_cli, sandbox):
    first = run_cli(
        "retention", "set", "--tenant", "acme", "--cdr-days", "400", "--recording-days", "90"
    )
    assert first.exit_code == 0, first.stderr
    sandbox.log.clear()
    second = run_cli("retention", "set", "--tenant", "acme", "--export-days", "7")
    assert second.exit_code == 0, second.stderr
    (put,) = _puts(sandbox)
    assert put.body == {"cdr_days": 400, "recording_days": 90, "export_days": 7}
    assert "export_days unset → 7" in second.stdout


def test_retention_set_refuses_recordings_kept_longer_than_cdrs(run_cli, sandbox):
    sandbox.log.clear()
    result = run_cli(
        "retention", "set", "--tenant", "acme", "--cdr-days", "30", "--recording-days", "60"
    )
    assert result.exit_code == 1
    assert "recording_days 60 must not exceed cdr_days 30" in result.stderr
    assert _puts(sandbox) == []


def test_retention_set_without_change_sends_nothing(run_cli, sandbox):
    assert run_cli("retention", "set", "--tenant", "acme", "--export-days", "3").exit_code == 0
    sandbox.log.clear()
    result = run_cli("retention", "set", "--tenant", "acme", "--export-days", "3")
    assert result.exit_code == 0, result.stderr
    assert "unchanged, nothing sent" in result.stdout
    assert _puts(sandbox) == []


def test_retention_set_needs_a_value(run_cli):
    result = run_cli("retention", "set", "--tenant", "acme")
    assert result.exit_code == 1
    assert "give at least one of" in result.stderr


def test_retention_set_refuses_a_number_of_days_past_a_century_and_sends_nothing(run_cli, sandbox):
    sandbox.log.clear()

    result = run_cli(
        "retention", "set", "--tenant", "acme", "--cdr-days", "99999999999999999999999"
    )

    assert result.exit_code == 1
    assert "'--cdr-days'" in result.stderr and "36500" in result.stderr
    assert sandbox.log.find(method="PUT") == []
