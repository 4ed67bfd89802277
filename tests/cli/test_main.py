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
    """docs/wazo-api.md, auth §0: wazo-auth's /status is HEAD-only; the other daemons answer GET."""
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
        f"{config}:4:13: export.catch_up: must be 1 or more, got -1",
        f"{config}:5:3: unknown key 'bogus'",
    ]


def test_world_readable_password_file_is_refused_by_the_cli(tmp_path, run_cli):
    (tmp_path / "password").chmod(0o644)
    result = run_cli("status")
    assert result.exit_code == 1
    assert "readable by group or others" in result.stdout
    assert Sandbox.ADMIN_PASSWORD not in result.stdout + result.stderr


def test_status_names_the_tokens_user_and_client_id_and_gives_expiry_with_offset(
    run_cli, config_file, wazo
):
    import json
    from datetime import datetime

    token_file = config_file.parent / "refresh-token"
    assert run_cli("token", "create", "-o", str(token_file)).exit_code == 0
    lines = config_file.read_text().splitlines()
    config_file.write_text(
        "\n".join(line for line in lines if "username" not in line and "password" not in line)
    )

    report = json.loads(run_cli("status", "--output", "json").stdout)["token"]
    text = run_cli("status").stdout

    assert report["credential"] == "refresh token"
    assert report["user_uuid"] == wazo.tokens.user_uuid
    assert report["client_id"] == "wazo-rec-tools"
    assert datetime.fromisoformat(report["expires_at"]).utcoffset() is not None
    assert f"user {report['user_uuid']}, client id wazo-rec-tools" in text


def test_status_without_a_config_file_says_where_it_looked(run_cli, monkeypatch, tmp_path):
    import json

    from wazo_rec_tools import config

    monkeypatch.delenv("WAZO_REC_CONFIG", raising=False)
    monkeypatch.setattr(config, "DEFAULT_PATH", tmp_path / "etc" / "config.yml")

    text = run_cli("status", config=None)
    report = json.loads(run_cli("status", "--output", "json", config=None).stdout)

    assert text.stdout.splitlines()[0] == (
        f"config     {tmp_path / 'etc' / 'config.yml'} not found: built-in defaults (the "
        "stack on 127.0.0.1); give -c FILE or set WAZO_REC_CONFIG"
    )
    assert report["config"] == {"path": str(tmp_path / "etc" / "config.yml"), "found": False}


def test_the_sandbox_config_names_a_policy_that_exists_and_resolves(sandbox, tmp_path):
    from pathlib import Path

    from click.testing import CliRunner

    from wazo_rec_tools.cli import main
    from wazo_rec_tools.cli.sandbox import write_client_files

    config = write_client_files(sandbox, tmp_path / "tour")
    result = CliRunner().invoke(main, ["-c", str(config), "validate", "--online"])

    assert (tmp_path / "tour" / "policy.yml").read_text() == (
        Path(__file__).parents[2] / "policy.example.yml"
    ).read_text()
    assert result.exit_code == 0, result.stderr
    assert "every name resolves on the stack" in result.stdout
    assert result.stderr == ""  # no warning: every pattern of the example matches someone
