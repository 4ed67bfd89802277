"""Encryption to the customer's age or ssh-ed25519 keys."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC

import pytest

from wazo_rec_tools.config import ExportConfig
from wazo_rec_tools.destinations.encryption import Encryption, parse_recipient
from wazo_rec_tools.export.job import ExportJob
from wazo_rec_tools.export.progress import LineReporter


@pytest.fixture
def ssh_identity(tmp_path):
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key, (tmp_path / "id_ed25519.pub").read_text().strip()


def test_a_file_encrypted_to_an_ssh_ed25519_key_is_decrypted_by_the_age_cli(tmp_path, ssh_identity):
    key, public = ssh_identity
    plain = tmp_path / "a.zip"
    plain.write_bytes(b"PK" + bytes(range(256)) * 4000)
    sealed = tmp_path / "a.zip.age"

    sha, size = Encryption((public,)).encrypt_file(plain, sealed)

    assert sha == hashlib.sha256(sealed.read_bytes()).hexdigest()
    assert size == sealed.stat().st_size and plain.read_bytes() not in sealed.read_bytes()
    out = subprocess.run(
        ["age", "--decrypt", "-i", str(key), str(sealed)], capture_output=True, check=True
    )
    assert out.stdout == plain.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("text", ["age1nope", "ssh-rsa AAAAB3Nza x", "", "-----BEGIN"])
def test_what_is_not_an_age_or_ssh_ed25519_public_key_is_refused(text):
    with pytest.raises(ValueError):
        parse_recipient(text)


def test_a_resumed_delivery_sends_the_same_encrypted_bytes_as_the_first_try(tmp_path, ssh_identity):
    """age output is random: the sealed copies wait in the spool until every destination
    has them, so a run killed between two destinations sends the same bytes next time."""
    _, public = ssh_identity
    spool = tmp_path / "spool"
    spool.mkdir()
    archive = spool / "t_w.zip"
    archive.write_bytes(b"PK" + b"r" * 10_000)
    manifest = spool / "t_w.zip.manifest.json"
    manifest.write_text(json.dumps({"archive": {"sha256": "x"}}))
    settings = ExportConfig.model_validate({"state_dir": str(tmp_path)})
    job = ExportJob(
        None, settings, None, [], LineReporter(), zone=UTC, encryption=Encryption((public,))
    )
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()

    first = job._outgoing(archive, manifest, "t/2026/w.zip", sha)
    again = job._outgoing(archive, manifest, "t/2026/w.zip", sha)

    assert [(o.key, o.sha256, o.plain_sha256) for o in again] == [
        (o.key, o.sha256, o.plain_sha256) for o in first
    ]
    assert [o.key for o in first] == ["t/2026/w.zip.age", "t/2026/w.zip.manifest.json.age"]
    assert first[0].plain_sha256 == sha and first[1].plain_sha256 is not None
