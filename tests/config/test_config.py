"""The configuration file: defaults, both stack layouts, and every error as file:line:col."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wazo_rec_tools import secrets
from wazo_rec_tools.config import load_config
from wazo_rec_tools.errors import InputErrors, UserError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "config.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputErrors) as info:
        load_config(path)
    return info.value.problems


def test_example_config_loads_with_documented_defaults():
    config = load_config(REPO / "config.example.yml")
    assert config.stack.url is None
    assert config.stack.verify_certificate is True
    assert config.auth.client_id == "wazo-rec-tools"
    assert config.export.catch_up == 4
    assert [str(d) for d in config.export.destinations] == [
        "file:///var/lib/wazo-rec-tools/archives"
    ]


def test_without_url_the_daemons_are_reached_on_localhost(tmp_path):
    config = load_config(write(tmp_path, "stack: {}\n"))
    assert config.stack.base_url("auth") == "http://127.0.0.1:9497/0.1"
    assert config.stack.base_url("confd") == "http://127.0.0.1:9486/1.1"
    assert config.stack.base_url("call-logd") == "http://127.0.0.1:9298/1.0"
    assert config.stack.base_url("calld") == "http://127.0.0.1:9500/1.0"


def test_with_url_the_services_are_reached_through_nginx(tmp_path):
    config = load_config(write(tmp_path, "stack:\n  url: https://wazo.example.com/\n"))
    assert config.stack.base_url("auth") == "https://wazo.example.com/api/auth/0.1"
    assert config.stack.base_url("call-logd") == "https://wazo.example.com/api/call-logd/1.0"


def test_verify_certificate_accepts_a_ca_path(tmp_path):
    ca = tmp_path / "wazo.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = load_config(write(tmp_path, f"stack:\n  verify_certificate: {ca}\n"))
    assert config.stack.verify_certificate == str(ca)


def test_a_relative_ca_path_is_relative_to_the_config_file(tmp_path):
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    config = load_config(write(tmp_path, "stack:\n  verify_certificate: ca.pem\n"))
    assert config.stack.verify_certificate == str(tmp_path.resolve() / "ca.pem")


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, "auth:\n  refresh_token_file: rt\npolicy: p.yml\n"))
    assert config.auth.refresh_token_file == tmp_path.resolve() / "rt"
    assert config.policy == tmp_path.resolve() / "p.yml"


def test_every_error_is_reported_at_once_with_line_and_column(tmp_path):
    path = write(
        tmp_path,
        "stack:\n"
        "  url: wazo.example.com\n"
        "  timeot: 3\n"
        "auth:\n"
        "  client_id: 12\n"
        "export:\n"
        "  schedule: monthly\n"
        "  timezone: Mars/Olympus\n",
    )
    lines = problems(path)
    assert lines == [
        f"{path}:2:8: stack.url: must start with https:// (or http://)",
        f"{path}:3:3: unknown key 'timeot'",
        f"{path}:5:14: auth.client_id: expected a string, got 12",
        f"{path}:7:13: export.schedule: expected 'weekly' or 'daily', got 'monthly'",
        f"{path}:8:13: export.timezone: unknown time zone 'Mars/Olympus' (e.g. Europe/Paris)",
    ]


def test_duplicate_keys_are_refused(tmp_path):
    path = write(tmp_path, "stack:\n  timeout: 5\n  timeout: 6\n")
    assert problems(path) == [f"{path}:3:3: duplicate key 'timeout' (first defined at line 2)"]


def test_syntax_error_is_located(tmp_path):
    path = write(tmp_path, "stack:\n  url: [unclosed\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}:3:1: YAML syntax error")


def test_no_stays_a_string_where_a_string_is_expected(tmp_path):
    config = load_config(write(tmp_path, "export:\n  tenants: [no, acme]\n"))
    assert config.export.tenants == ["no", "acme"]


def test_yes_is_not_a_boolean(tmp_path):
    path = write(tmp_path, "stack:\n  verify_certificate: yes\n")
    # YAML 1.2: `yes` is the string "yes", read as a CA path, not as true
    assert problems(path) == [
        f"{path}:2:23: stack.verify_certificate: no CA certificate file {tmp_path.resolve()}/yes "
        "(give the stack's CA file, or true for the system's CAs)"
    ]


def test_wrong_type_for_timeout(tmp_path):
    path = write(tmp_path, "stack:\n  timeout: soon\n")
    assert problems(path) == [
        f"{path}:2:12: stack.timeout: expected a number of seconds, got 'soon'"
    ]


def test_a_top_level_list_is_refused(tmp_path):
    path = write(tmp_path, "- stack\n")
    assert problems(path) == [f"{path}:1:1: the configuration must be a mapping of sections"]


def test_an_explicit_missing_file_is_an_error(tmp_path):
    assert problems(tmp_path / "nope.yml") == [f"{tmp_path / 'nope.yml'}: file not found"]


def test_world_readable_secret_file_is_refused(tmp_path):
    token = tmp_path / "rt"
    token.write_text("abc")
    token.chmod(0o644)
    config = load_config(write(tmp_path, f"auth:\n  refresh_token_file: {token}\n"))
    with pytest.raises(UserError) as info:
        secrets.refresh_token(config)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'config.yml'}:2:23: refresh token file {token}")
    assert "readable by group or others (mode 0644); run: chmod 600" in message
    assert "abc" not in message


def test_group_readable_password_file_is_refused(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("hunter2")
    pw.chmod(0o640)
    config = load_config(write(tmp_path, f"auth:\n  username: admin\n  password_file: {pw}\n"))
    with pytest.raises(UserError, match="mode 0640") as info:
        secrets.password(config, interactive=False)
    assert "hunter2" not in str(info.value)


def test_unreadable_secret_file_is_refused(tmp_path):
    if os.geteuid() == 0:
        # root reads any file: a missing one stands for "cannot be read" here
        config = load_config(write(tmp_path, f"auth:\n  refresh_token_file: {tmp_path}/missing\n"))
        with pytest.raises(UserError, match="does not exist"):
            secrets.refresh_token(config)
        return
    token = tmp_path / "rt"
    token.write_text("abc")
    token.chmod(0o000)
    config = load_config(write(tmp_path, f"auth:\n  refresh_token_file: {token}\n"))
    with pytest.raises(UserError, match="permission denied"):
        secrets.refresh_token(config)


def test_private_secret_file_is_read_and_stripped(tmp_path):
    token = tmp_path / "rt"
    token.write_text("abc\n")
    token.chmod(0o600)
    config = load_config(write(tmp_path, f"auth:\n  refresh_token_file: {token}\n"))
    assert secrets.refresh_token(config) == "abc"


def test_systemd_credential_wins_over_the_file(tmp_path, monkeypatch):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "refresh-token").write_text("from-systemd\n")
    token = tmp_path / "rt"
    token.write_text("from-file")
    token.chmod(0o600)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    config = load_config(write(tmp_path, f"auth:\n  refresh_token_file: {token}\n"))
    assert secrets.refresh_token(config) == "from-systemd"


def test_password_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WAZO_REC_PASSWORD", "s3cret")
    config = load_config(write(tmp_path, "auth:\n  username: admin\n"))
    assert secrets.password(config, interactive=False) == "s3cret"


def test_no_password_source_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("WAZO_REC_PASSWORD", raising=False)
    config = load_config(write(tmp_path, "auth:\n  username: admin\n"))
    with pytest.raises(UserError, match=r"set auth\.password_file or WAZO_REC_PASSWORD"):
        secrets.password(config, interactive=False)


def test_a_list_where_a_section_is_expected_names_the_yaml_kind(tmp_path):
    path = write(tmp_path, "stack:\n  - url\n")
    assert problems(path) == [f"{path}:2:3: stack: expected a mapping, got a list"]


def test_systemd_password_credential_wins_over_the_password_file(tmp_path, monkeypatch):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "password").write_text("from-systemd\n")
    pw = tmp_path / "pw"
    pw.write_text("from-file")
    pw.chmod(0o600)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    config = load_config(write(tmp_path, f"auth:\n  username: admin\n  password_file: {pw}\n"))
    assert secrets.password(config, interactive=False) == "from-systemd"


def test_a_number_out_of_range_names_the_field_and_the_rule(tmp_path):
    path = write(tmp_path, "export:\n  catch_up: 0\n")

    assert problems(path) == [f"{path}:2:13: export.catch_up: must be 1 or more, got 0"]


def test_an_empty_destination_list_says_what_is_needed(tmp_path):
    path = write(tmp_path, "export:\n  destinations: []\n")

    assert problems(path) == [f"{path}:2:17: export.destinations: needs at least 1 item(s)"]


def test_a_huge_input_is_refused_without_reading_it_all():
    from wazo_rec_tools.yamlsource import MAX_BYTES, load_file

    with pytest.raises(InputErrors) as caught:
        load_file("/dev/zero")

    assert caught.value.problems == [
        f"/dev/zero: larger than {MAX_BYTES // (1024 * 1024)} MiB: not a YAML file to read"
    ]


def test_policy_dev_zero_is_one_clear_line(run_cli):
    result = run_cli("validate", "/dev/zero")

    assert result.exit_code == 1
    assert result.stderr == "/dev/zero: larger than 10 MiB: not a YAML file to read\n"


@pytest.fixture
def open_tmp() -> Path:
    """A folder anyone may enter (pytest's own tmp folders are private to their user)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="wazo-rec-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_a_config_in_a_folder_this_user_cannot_enter_is_one_clear_line(open_tmp):
    folder = open_tmp / "locked"
    folder.mkdir()
    (folder / "config.yml").write_text("stack:\n  url: https://wazo.example.com\n")
    folder.chmod(0o700)

    problems_seen = _as_unprivileged_user(lambda: load_config(folder / "config.yml"))

    assert problems_seen == [
        f"{folder / 'config.yml'}: permission denied (the folder {folder} cannot be entered "
        "by this user: run as its owner)"
    ]


def _as_unprivileged_user(load) -> list[str]:
    """The problems `load` raises, run as nobody (root bypasses file modes) in a fork."""
    import json

    if os.getuid() != 0:
        with pytest.raises(InputErrors) as caught:
            load()
        return caught.value.problems
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, report, exit without running pytest's hooks
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            try:
                load()
                found = ["loaded"]
            except InputErrors as exc:
                found = exc.problems
            except BaseException as exc:
                found = [f"{type(exc).__name__}: {exc}"]
            os.write(write_end, json.dumps(found).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)
