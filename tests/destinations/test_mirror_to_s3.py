"""The mirror through the destinations plugin point: S3 (moto), encrypted to an age key."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
from test_cli import decrypt, s3_block

from tests.support import add_recorded_call


@pytest.mark.parametrize("harness", ["s3"], indirect=True)
def test_mirror_delivers_each_recording_encrypted_with_its_sidecar_to_s3(
    run_cli, config_file, harness, tmp_path, sandbox
):
    identity = tmp_path / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = identity.read_text().split("public key: ")[1].split()[0]
    config_file.write_text(
        config_file.read_text()
        + "mirror:\n  lag: 1m\n  destinations:\n"
        + s3_block(harness)
        + f"encryption:\n  age_recipients: [{recipient}]\n"
    )
    cdr = add_recorded_call(sandbox)
    rec = cdr["recordings"][0]

    result = run_cli("mirror", "run")

    assert result.exit_code == 0, result.stderr
    server, bucket = harness.extra
    keys = sorted(o["Key"] for o in server.admin.list_objects_v2(Bucket=bucket)["Contents"])
    media_key = next(k for k in keys if rec["uuid"] in k and k.endswith(".wav.age"))
    assert media_key.replace(".wav.age", ".json.age") in keys
    assert all(k.endswith((".wav.age", ".json.age")) for k in keys)  # nothing in clear
    sealed = server.admin.get_object(Bucket=bucket, Key=media_key)["Body"].read()
    side_sealed = server.admin.get_object(
        Bucket=bucket, Key=media_key.replace(".wav.age", ".json.age")
    )["Body"].read()
    media = decrypt(identity, sealed, tmp_path / "r.wav")
    side = json.loads(decrypt(identity, side_sealed, tmp_path / "r.json"))
    assert media.startswith(b"RIFF")
    assert side["recording"]["sha256"] == hashlib.sha256(media).hexdigest()
    assert side["recording"]["encrypted"]["sha256"] == hashlib.sha256(sealed).hexdigest()
    assert harness.secret not in result.stdout + result.stderr

    again = run_cli("mirror", "run")  # nothing new, nothing written again
    assert again.exit_code == 0
    after = sorted(o["Key"] for o in server.admin.list_objects_v2(Bucket=bucket)["Contents"])
    assert after == keys
