"""What only S3 has: multipart upload ids in the journal, IAM policies that allow writes only."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from wazo_rec_tools.destinations import StateUploads, open_destination
from wazo_rec_tools.jobs.state import DB_NAME, open_state

MIB = 1024 * 1024
KEY = "acme/2026/2026-03-23_2026-03-30.zip"


def make_file(tmp_path, size: int, name: str):
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("harness", ["s3"], indirect=True)
def test_a_journaled_upload_of_other_content_is_aborted_not_left_behind(harness, tmp_path):
    server, bucket = harness.extra
    state = tmp_path / "state"
    conn = open_state(state)
    uploads = StateUploads(conn)
    stale = server.admin.create_multipart_upload(Bucket=bucket, Key=f"wazo/{KEY}")["UploadId"]
    uploads.start(harness.spec().url, KEY, stale, "0" * 64)  # a killed run, other content
    path, sha = make_file(tmp_path, 11 * MIB, "archive.zip")

    open_destination(harness.spec(), uploads=uploads).deliver(path, KEY, sha)

    assert server.admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert uploads.pending() == []
    assert harness.secret not in (state / DB_NAME).read_bytes().decode("latin-1")
    conn.close()


@pytest.mark.parametrize("harness", ["s3"], indirect=True)
def test_check_with_a_write_only_key_says_ok_write_only(harness):
    server, bucket = harness.extra
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=server.url,
        region_name=server.region,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
    )
    iam.create_user(UserName=f"writer-{bucket}")
    key = iam.create_access_key(UserName=f"writer-{bucket}")["AccessKey"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/*"}
        ],
    }
    iam.put_user_policy(
        UserName=f"writer-{bucket}", PolicyName="put", PolicyDocument=json.dumps(policy)
    )
    ini = (
        f"[default]\naws_access_key_id = {key['AccessKeyId']}\n"
        f"aws_secret_access_key = {key['SecretAccessKey']}\n"
    )
    (harness.credentials_dir / "s3-writer").write_text(ini)

    result = open_destination(harness.spec(credentials="s3-writer", retries=1)).check()

    assert result.writable and not result.readable
    assert result.message.startswith("ok (write-only: cannot read back); the probe ")
    assert key["SecretAccessKey"] not in result.line
