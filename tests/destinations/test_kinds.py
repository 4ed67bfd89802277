"""Each kind's own ways in: pinned host keys and passwords (SFTP), anonymous emulator (GCS),
connection strings and SAS tokens (Azure)."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.destinations import servers
from wazo_rec_tools.destinations import DestinationError, open_destination

KEY = "acme/2026/w.zip"


def make_file(tmp_path):
    path = tmp_path / "a.zip"
    path.write_bytes(b"PK" + b"x" * 5000)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("harness", ["sftp"], indirect=True)
def test_an_sftp_server_whose_host_key_is_not_the_pinned_one_is_refused_and_not_learnt(
    harness, tmp_path
):
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    server, _ = harness.extra
    known = server.known_hosts(harness.proxy.port, key=(tmp_path / "other.pub").read_text())
    pinned = known.read_text()
    path, sha = make_file(tmp_path)

    with pytest.raises(DestinationError) as failure:
        open_destination(harness.spec(known_hosts=str(known))).deliver(path, KEY, sha)

    assert "is not the one pinned in" in str(failure.value)
    assert "\n" not in str(failure.value)
    assert known.read_text() == pinned


@pytest.mark.parametrize("harness", ["sftp"], indirect=True)
def test_an_sftp_password_credential_logs_in(harness, tmp_path):
    server, _ = harness.extra
    (harness.credentials_dir / "sftp-password").write_text(server.password)
    path, sha = make_file(tmp_path)

    destination = open_destination(harness.spec(credentials="sftp-password"))

    assert destination.deliver(path, KEY, sha).endswith(KEY)
    assert destination.exists(KEY, sha)


@pytest.mark.parametrize("harness", ["gs"], indirect=True)
def test_gcs_without_credentials_talks_to_an_emulator_anonymously(harness, tmp_path):
    path, sha = make_file(tmp_path)
    entry = {k: v for k, v in harness.entry.items() if k != "credentials"}

    destination = open_destination(harness.spec(**entry, credentials=None))

    assert destination.deliver(path, KEY, sha).startswith("gs://")
    assert destination.check().line.endswith(": ok")


@pytest.mark.parametrize("harness", ["azure"], indirect=True)
def test_azure_takes_a_connection_string_or_a_sas_token(harness, tmp_path):
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    server, container = harness.extra
    endpoint = harness.entry["endpoint_url"]
    (harness.credentials_dir / "azure-conn").write_text(server.connection_string(endpoint))
    sas = generate_container_sas(
        servers.AZURITE_ACCOUNT,
        container,
        account_key=servers.AZURITE_KEY,
        permission=ContainerSasPermissions(read=True, write=True, create=True, delete=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    (harness.credentials_dir / "azure-sas").write_text(sas)

    for name in ("azure-conn", "azure-sas"):
        result = open_destination(harness.spec(credentials=name)).check()
        assert result.line.endswith(": ok"), (name, result.line)
