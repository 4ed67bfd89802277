"""The command line's conventions: exit codes, one-line errors, status, no secrets."""

from __future__ import annotations

from wazo_rec_tools import __version__
from wazo_rec_tools.sandbox import Sandbox


def test_version(run_cli):
    result = run_cli("--version", config=None)
    assert result.exit_code == 0 and __version__ in result.stdout


def test_usage_error_exits_1_not_2(run_cli):
    result = run_cli("no-such-command", config=None)
    assert result.exit_code == 1
    assert "No such command" in result.stderr


def test_bad_option_exits_1(run_cli):
    result = run_cli("status", "--output", "yaml")
    assert result.exit_code == 1


def test_status_reports_every_service_up(run_cli):
    result = run_cli("status")
    assert result.exit_code == 0, result.stderr
    for service in ("auth", "confd", "call-logd", "calld"):
        assert f"{service}" in result.stdout
    assert "DOWN" not in result.stdout
    assert "token      ok" in result.stdout
    assert "policy: all present" in result.stdout


def test_status_probes_wazo_auth_with_head(sandbox, run_cli):
    """auth.md §0: wazo-auth's /status is HEAD-only; the other daemons answer GET."""
    sandbox.log.clear()
    assert run_cli("status").exit_code == 0
    probes = {(r.service, r.method) for r in sandbox.log.find(path=r"/\d\.\d/status$")}
    assert probes == {("auth", "HEAD"), ("confd", "GET"), ("call-logd", "GET"), ("calld", "GET")}


def test_status_json_is_stable(run_cli):
    import json

    result = run_cli("status", "--output", "json")
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert set(report["services"]) == {"auth", "confd", "call-logd", "calld"}
    assert report["missing_acl"]["admin"] == []


def test_status_lists_missing_acls_of_a_limited_account(sandbox, run_cli, config_file, wazo):
    user = wazo.auth.create_user(
        username="limited", password=Sandbox.ADMIN_PASSWORD, purpose="user"
    )
    policy = wazo.auth.create_policy(name="ro", acl=["confd.users.read"])
    wazo.auth.attach_policy(user["uuid"], policy["uuid"])
    config_file.write_text(config_file.read_text().replace("username: root", "username: limited"))
    result = run_cli("status")
    assert "policy: missing auth.tenants.read" in result.stdout
    assert "confd.users.read," not in result.stdout


def test_status_against_a_closed_port_is_clear_and_exits_1(tmp_path, run_cli):
    config = tmp_path / "closed.yml"
    config.write_text("stack:\n  url: http://127.0.0.1:9\n  timeout: 1\n")
    result = run_cli("status", config=config)
    assert result.exit_code == 1
    assert "auth       DOWN  cannot connect to http://127.0.0.1:9/api/auth/0.1" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_wrong_password_is_one_line_and_no_secret(tmp_path, run_cli, config_file):
    pw = tmp_path / "password"
    pw.write_text("not-the-password-123")
    result = run_cli("status")
    assert result.exit_code == 1
    assert "Authentication Failed" in result.stdout
    assert "not-the-password-123" not in result.stdout + result.stderr


def test_config_errors_are_all_reported_with_locations(tmp_path, run_cli):
    config = tmp_path / "bad.yml"
    config.write_text("stack:\n  url: ftp://x\nexport:\n  catch_up: -1\n  bogus: 1\n")
    result = run_cli("status", config=config)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{config}:2:8: stack.url: must start with https:// (or http://)",
        f"{config}:4:13: export.catch_up: Input should be greater than or equal to 1",
        f"{config}:5:3: unknown key 'bogus'",
    ]


def test_world_readable_password_file_is_refused_by_the_cli(tmp_path, run_cli):
    (tmp_path / "password").chmod(0o644)
    result = run_cli("status")
    assert result.exit_code == 1
    assert "readable by group or others" in result.stdout
    assert Sandbox.ADMIN_PASSWORD not in result.stdout + result.stderr
