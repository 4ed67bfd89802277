"""Destinations in the config and on the command line: `status`, `validate`,
`destinations check`, and `export run` delivering to S3, encrypted."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from wazo_rec_tools import secrets
from wazo_rec_tools.destinations import entries

S3_ENTRY_KEYS = ("url", "endpoint_url", "region", "credentials", "part_size_mib")


def with_destinations(config_file: Path, block: str, extra: str = "") -> Path:
    """The sandbox config with `export.destinations` replaced by `block` (YAML lines)."""
    lines = config_file.read_text().splitlines()
    kept = [line for line in lines if not line.strip().startswith("destinations:")]
    config_file.write_text("\n".join(kept) + "\n  destinations:\n" + block + extra)
    return config_file


def s3_block(harness, **override) -> str:
    entry = {k: harness.entry[k] for k in S3_ENTRY_KEYS} | override
    body = yaml.safe_dump([entry], default_flow_style=False, sort_keys=False)
    return "".join(f"    {line}\n" for line in body.splitlines())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("gopher://x/y", "unknown destination scheme 'gopher'"),
        ("file://archives/here", "file:///absolute/path"),
        ("archives", "not a destination URL"),
        ("{url: 's3://bucket/p', regoin: eu-west-3}", "unknown key 'regoin'"),
        ("{url: 'sftp://u@h/srv'}", "known_hosts"),
        ("{url: 'sftp://u:pw@h/srv', known_hosts: /k}", "must not carry a password"),
        ("{url: 's3://bucket/p', credentials: ../etc/shadow}", "a credential name"),
        ("{url: 's3://bucket/p', part_size_mib: 1}", "part_size_mib"),
    ],
)
@pytest.mark.parametrize("command", [("status",), ("validate",)])
def test_a_bad_destination_is_a_located_config_error_for_status_and_validate(
    run_cli, config_file, tmp_path, entry, message, command
):
    (tmp_path / "policy.yml").write_text("tenants: {}\n")
    with_destinations(config_file, f"    - {entry}\n")
    line = next(
        n for n, text in enumerate(config_file.read_text().splitlines(), 1) if "    - " in text
    )

    result = run_cli(*command)

    assert result.exit_code == 1
    assert f"{config_file}:{line}:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_destination_whose_sdk_is_missing_says_which_pip_install_fixes_it(
    run_cli, config_file, monkeypatch
):
    monkeypatch.setattr(entries, "_importable", lambda name: not name.startswith("boto3"))
    with_destinations(config_file, "    - s3://bucket/prefix\n")

    result = run_cli("status")

    assert result.exit_code == 1
    assert "pip install 'wazo-rec-tools[s3]'" in result.stderr
    assert f"{config_file}:" in result.stderr


def test_a_bad_age_recipient_is_a_located_config_error(run_cli, config_file):
    with_destinations(
        config_file,
        f"    - file://{config_file.parent / 'archives'}\n",
        "encryption:\n  age_recipients: [age1nothing]\n",
    )

    result = run_cli("status")

    assert result.exit_code == 1
    assert f"{config_file}:" in result.stderr and "not a valid age recipient" in result.stderr


def test_a_credential_readable_by_others_is_refused_with_the_chmod_to_run(tmp_path, monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.setattr(secrets, "CREDENTIALS_DIR", tmp_path)
    (tmp_path / "s3-acme").write_text("[default]\n")
    (tmp_path / "s3-acme").chmod(0o644)

    with pytest.raises(secrets.UserError, match=r"config.yml:3:5: .*chmod 600"):
        secrets.named_credential("s3-acme", "config.yml:3:5")


@pytest.mark.parametrize("harness", ["s3"], indirect=True)
def test_destinations_check_says_ok_or_what_failed_and_exits_1_when_one_cannot_be_written(
    run_cli, config_file, harness
):
    block = s3_block(harness) + s3_block(harness, credentials="s3-bad")
    block += f"    - file://{config_file.parent / 'archives'}\n"
    with_destinations(config_file, block)

    result = run_cli("destinations", "check")

    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert lines[0] == f"{harness.entry['url']}: ok"
    assert lines[1].startswith(f"{harness.entry['url']}: cannot write: SignatureDoesNotMatch")
    assert "refused the credentials" in lines[1]
    assert lines[2] == f"file://{config_file.parent / 'archives'}: ok"
    assert harness.secret not in result.stdout + result.stderr


@pytest.mark.parametrize("harness", ["s3"], indirect=True)
def test_export_run_delivers_encrypted_archives_that_the_age_cli_decrypts(
    run_cli, config_file, harness, tmp_path
):
    identity = tmp_path / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = identity.read_text().split("public key: ")[1].split()[0]
    with_destinations(
        config_file, s3_block(harness), f"encryption:\n  age_recipients: [{recipient}]\n"
    )

    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    server, bucket = harness.extra
    listed = server.admin.list_objects_v2(Bucket=bucket)["Contents"]
    keys = sorted(o["Key"] for o in listed)
    assert keys and all(k.endswith((".zip.age", ".zip.manifest.json.age")) for k in keys)
    archive_key = next(k for k in keys if k.endswith(".zip.age"))
    sealed = server.admin.get_object(Bucket=bucket, Key=archive_key)["Body"].read()
    manifest_sealed = server.admin.get_object(
        Bucket=bucket, Key=archive_key.replace(".zip.age", ".zip.manifest.json.age")
    )["Body"].read()
    plain = decrypt(identity, sealed, tmp_path / "a.zip")
    manifest = json.loads(decrypt(identity, manifest_sealed, tmp_path / "m.json"))
    assert zipfile.is_zipfile(tmp_path / "a.zip")
    assert manifest["archive"]["sha256"] == hashlib.sha256(plain).hexdigest()
    assert manifest["encryption"]["archive"]["sha256"] == hashlib.sha256(sealed).hexdigest()
    assert manifest["encryption"]["recipients"] == [recipient]
    assert harness.leftovers() == []


def decrypt(identity: Path, data: bytes, target: Path) -> bytes:
    subprocess.run(
        ["age", "--decrypt", "-i", str(identity), "-o", str(target)],
        input=data,
        check=True,
        capture_output=True,
    )
    return target.read_bytes()


@pytest.mark.parametrize("harness", ["s3"], indirect=True)
def test_a_credential_file_of_the_wrong_shape_names_the_entry_and_not_its_content(
    run_cli, config_file, harness
):
    (harness.credentials_dir / "s3-garbled").write_text("aws_secret_access_key=hunter2hunter2\n")
    with_destinations(config_file, s3_block(harness, credentials="s3-garbled"))

    result = run_cli("destinations", "check")

    assert result.exit_code == 1
    assert f"{config_file}:" in result.stdout
    assert "not an AWS shared-credentials file" in result.stdout
    assert "hunter2" not in result.stdout + result.stderr
