"""`wazo-rec token create|revoke`, and the private token file (docs/wazo-api.md, auth §1, §3)."""

from __future__ import annotations

import stat

import pytest

from wazo_rec_tools.errors import UserError
from wazo_rec_tools.sandbox import Sandbox
from wazo_rec_tools.secrets import REPLACED, UNCHANGED, WRITTEN, write_token_file
from wazo_rec_tools.wazo.http import ApiError

TOKEN_PATH = r"/api/auth/0\.1/token$"


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_token_file_is_created_0600_without_leftovers(tmp_path):
    path = tmp_path / "refresh-token"
    assert write_token_file(path, "rt-1").status == WRITTEN
    assert path.read_text() == "rt-1\n"
    assert _mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["refresh-token"]


def test_token_file_with_another_value_is_not_replaced_without_force(tmp_path):
    path = tmp_path / "refresh-token"
    path.write_text("old\n")
    with pytest.raises(UserError, match="already exists and holds another value"):
        write_token_file(path, "rt-1")
    assert path.read_text() == "old\n"


def test_token_file_is_replaced_with_force(tmp_path):
    path = tmp_path / "refresh-token"
    path.write_text("old\n")
    path.chmod(0o644)
    assert write_token_file(path, "rt-1", force=True).status == REPLACED
    assert path.read_text() == "rt-1\n" and _mode(path) == 0o600


def test_token_file_holding_the_same_token_is_left_as_is(tmp_path):
    path = tmp_path / "refresh-token"
    write_token_file(path, "rt-1")
    assert write_token_file(path, "rt-1").status == UNCHANGED


def test_token_create_writes_a_0600_file_and_prints_no_token(run_cli, config_file, wazo):
    path = config_file.parent / "my-token"
    result = run_cli("token", "create", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    token = path.read_text().strip()
    assert _mode(path) == 0o600
    assert token not in result.stdout and token not in result.stderr
    assert f"written to {path}" in result.stdout
    # it is a working refresh token for the default client id
    assert wazo.auth.token_from_refresh(token, "wazo-rec-tools")["token"]


def test_token_create_prints_the_token_only_with_print(run_cli, config_file, wazo):
    result = run_cli("token", "create", "--client-id", "cron", "--print")
    assert result.exit_code == 0, result.stderr
    assert wazo.auth.token_from_refresh(result.stdout.strip(), "cron")["token"]
    assert not (config_file.parent / "refresh-token").exists()


def test_token_create_print_works_when_the_default_token_file_exists(run_cli, config_file):
    service = config_file.parent / "refresh-token"
    service.write_text("the-export-account-token\n")
    service.chmod(0o600)

    result = run_cli("token", "create", "--print")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() and result.stdout.strip() != "the-export-account-token"
    assert service.read_text() == "the-export-account-token\n"


def test_token_create_never_writes_the_export_token_file_unless_told_by_o(run_cli, config_file):
    service = config_file.parent / "refresh-token"
    service.write_text("the-export-account-token\n")
    service.chmod(0o600)

    for args in ((), ("--force",)):
        result = run_cli("token", "create", *args)
        assert result.exit_code == 1
        assert "-o FILE, or --print" in result.stderr
    assert service.read_text() == "the-export-account-token\n"

    explicit = run_cli("token", "create", "-o", str(service), "--force")
    assert explicit.exit_code == 0, explicit.stderr
    assert service.read_text() != "the-export-account-token\n"


def test_token_create_to_another_file_in_json(run_cli, tmp_path):
    target = tmp_path / "other-token"
    result = run_cli("token", "create", "-o", str(target), "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert '"status": "written"' in result.stdout
    assert target.read_text().strip() not in result.stdout
    assert _mode(target) == 0o600


def test_token_create_refuses_to_replace_a_different_file(run_cli, config_file):
    path = config_file.parent / "refresh-token"
    path.write_text("someone-else\n")
    path.chmod(0o600)
    result = run_cli("token", "create", "-o", str(path))
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert path.read_text() == "someone-else\n"


def test_token_revoke_deletes_the_users_refresh_token(run_cli, config_file, wazo, sandbox):
    created = run_cli("token", "create", "--client-id", "gone", "--print")
    assert created.exit_code == 0
    token = created.stdout.strip()
    result = run_cli("token", "revoke", "--client-id", "gone")
    assert result.exit_code == 0, result.stderr
    assert len(sandbox.log.find(method="DELETE", path=r"/users/[^/]+/tokens/gone$")) == 1
    with pytest.raises(ApiError) as refused:
        wazo.auth.token_from_refresh(token, "gone")
    assert refused.value.status == 401


def test_token_revoke_without_such_token_says_so(run_cli):
    result = run_cli("token", "revoke", "--client-id", "never-created")
    assert result.exit_code == 1
    assert "no refresh token for client id 'never-created'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_token_create_with_a_wrong_password_is_one_line(run_cli, config_file, monkeypatch):
    (config_file.parent / "password").write_text("wrong\n")
    result = run_cli("token", "create", "--print")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: auth: POST /token -> 401")
    assert Sandbox.ADMIN_PASSWORD not in result.stderr
