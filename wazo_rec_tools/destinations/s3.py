"""`s3://bucket/prefix`: AWS S3 or an S3-compatible store (boto3, the `[s3]` extra).

Create-only with `If-None-Match: *`, on a single PUT and on the completion of a multipart
upload alike. Big files go in parts (SHA-256 checksum per part, a few in flight); the upload id
is journaled before the first part, so a killed run resumes the parts already stored (same
content) or aborts the upload (other content): never an orphan that bills for ever.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, StrictStr, field_validator

from ..errors import UserError
from .base import AlreadyThere, Found, Source, Store
from .entries import Options as _Options
from .entries import bucket_url, endpoint_url
from .uploads import UploadLog

MIB = 1024 * 1024
MAX_PARTS = 10_000  # S3's limit
SHA_KEY = "sha256"  # x-amz-meta-sha256: our sha256 of the object, for exists-with-this-content


class Options(_Options):
    region: StrictStr | None = None
    endpoint_url: StrictStr | None = None
    storage_class: StrictStr | None = None
    # Parts of 8 MiB, 4 in flight: ~32 MiB of memory, and 80 GB at most per object.
    part_size_mib: Annotated[int, Field(ge=5, le=5120)] = 8
    concurrency: Annotated[int, Field(ge=1, le=16)] = 4
    # sha256 where the store supports S3's additional checksums; md5 (Content-MD5) elsewhere
    checksum: Literal["sha256", "md5"] = "sha256"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return bucket_url(value, "an S3 destination is s3://bucket/prefix")

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return endpoint_url(value)


class S3Store(Store):
    def __init__(self, options: Options, credential: str | None):
        try:
            import boto3
            import botocore.config
            import botocore.exceptions
        except ImportError:  # checked at config load; a broken install still gets one line
            raise UserError("s3:// needs boto3: pip install 'wazo-rec-tools[s3]'") from None
        self._botocore = botocore
        parts = urlsplit(options.url)
        self.url = options.url
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.options = options
        session_args: dict[str, Any] = {}
        if credential is not None:
            session_args = _shared_credentials(credential)
        session = boto3.session.Session(region_name=options.region, **session_args)
        config = botocore.config.Config(
            # only the checksums the store requires: the default CRC trailers break most
            # S3-compatible stores; our own SHA-256 (or MD5) goes on every part anyway
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"total_max_attempts": 1},  # Destination retries, with its own backoff
            connect_timeout=10,
            read_timeout=120,
            max_pool_connections=max(10, options.concurrency + 2),
            s3={"addressing_style": "path"} if options.endpoint_url else {},
            user_agent_extra="wazo-rec-tools",
        )
        self.client = session.client("s3", endpoint_url=options.endpoint_url, config=config)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def head(self, key: str) -> Found | None:
        try:
            meta = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._botocore.exceptions.ClientError as exc:
            if _status(exc) == 404:
                return None
            raise
        return Found(meta["ContentLength"], meta.get("Metadata", {}).get(SHA_KEY))

    def read(self, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        try:
            yield from body.iter_chunks(MIB)
        finally:
            body.close()

    def remove(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def create(self, key: str, source: Source, uploads: UploadLog) -> None:
        part_size = self.options.part_size_mib * MIB
        while source.size > part_size * MAX_PARTS:
            part_size *= 2
        if source.size <= part_size:
            self._put(key, source)
        else:
            self._multipart(key, source, uploads, part_size)

    def _common(self, source: Source) -> dict[str, Any]:
        extra: dict[str, Any] = {"Metadata": {SHA_KEY: source.sha256}}
        if self.options.storage_class:
            extra["StorageClass"] = self.options.storage_class
        return extra

    def _put(self, key: str, source: Source) -> None:
        with open(source.path, "rb") as body:
            data = body.read()
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                IfNoneMatch="*",
                **self._checksum(data),
                **self._common(source),
            )
        except self._botocore.exceptions.ClientError as exc:
            if _status(exc) == 412:
                raise AlreadyThere() from None
            raise

    def _checksum(self, data: bytes) -> dict[str, str]:
        if self.options.checksum == "sha256":
            return {"ChecksumSHA256": base64.b64encode(hashlib.sha256(data).digest()).decode()}
        return {"ContentMD5": base64.b64encode(hashlib.md5(data).digest()).decode()}

    def _multipart(self, key: str, source: Source, uploads: UploadLog, part_size: int) -> None:
        s3key = self._key(key)
        done: dict[int, dict[str, Any]] = {}
        journaled = uploads.find(self.url, key)
        upload_id = None
        if journaled is not None and journaled.sha256 == source.sha256:
            try:
                done = self._parts(s3key, journaled.upload_id)
                upload_id = journaled.upload_id
            except self._botocore.exceptions.ClientError as exc:
                if _status(exc) != 404:  # NoSuchUpload: completed or aborted meanwhile
                    raise
                uploads.forget(self.url, key)
        elif journaled is not None:
            self._abort(s3key, journaled.upload_id)  # an upload of other content
            uploads.forget(self.url, key)
        if upload_id is None:
            started = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=s3key,
                **({"ChecksumAlgorithm": "SHA256"} if self.options.checksum == "sha256" else {}),
                **self._common(source),
            )
            upload_id = started["UploadId"]
            uploads.start(self.url, key, upload_id, source.sha256)
        count = -(-source.size // part_size)
        parts = self._send_parts(s3key, upload_id, source, part_size, count, done)
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=s3key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except self._botocore.exceptions.ClientError as exc:
            if _status(exc) == 412:
                self._abort(s3key, upload_id)
                uploads.forget(self.url, key)
                raise AlreadyThere() from None
            if _status(exc) == 404:  # a retried completion that had in fact succeeded
                uploads.forget(self.url, key)
                return
            raise
        uploads.forget(self.url, key)

    def _send_parts(
        self,
        s3key: str,
        upload_id: str,
        source: Source,
        part_size: int,
        count: int,
        done: dict[int, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        results: dict[int, dict[str, Any]] = {}
        slots = threading.BoundedSemaphore(self.options.concurrency)
        lock = threading.Lock()

        def send(number: int, data: bytes) -> None:
            try:
                checksum = self._checksum(data)
                have = done.get(number)
                if have is not None and have["Size"] == len(data) and _same(have, data, checksum):
                    results[number] = _part_ref(number, have)
                    return
                answer = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=s3key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=data,
                    **checksum,
                )
                with lock:
                    results[number] = {"PartNumber": number, "ETag": answer["ETag"]}
                    if "ChecksumSHA256" in answer:
                        results[number]["ChecksumSHA256"] = answer["ChecksumSHA256"]
            finally:
                slots.release()

        futures: list[Future] = []
        with (
            ThreadPoolExecutor(self.options.concurrency) as pool,
            open(source.path, "rb") as body,
        ):
            for number in range(1, count + 1):
                slots.acquire()  # at most `concurrency` parts in memory
                if any(f.done() and f.exception() for f in futures):
                    slots.release()
                    break
                futures.append(pool.submit(send, number, body.read(part_size)))
            wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.result()  # the first failure, as it was
        return [results[n] for n in range(1, count + 1)]

    def _parts(self, s3key: str, upload_id: str) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        paginator = self.client.get_paginator("list_parts")
        for page in paginator.paginate(Bucket=self.bucket, Key=s3key, UploadId=upload_id):
            for part in page.get("Parts", []):
                found[part["PartNumber"]] = part
        return found

    def _abort(self, s3key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=s3key, UploadId=upload_id)
        except self._botocore.exceptions.ClientError as exc:
            if _status(exc) != 404:
                raise

    def abandon(self, key: str, uploads: UploadLog) -> None:
        journaled = uploads.find(self.url, key)
        if journaled is not None:
            self._abort(self._key(key), journaled.upload_id)
            uploads.forget(self.url, key)

    def is_transient(self, exc: BaseException) -> bool:
        errors = self._botocore.exceptions
        if isinstance(exc, errors.ClientError):
            status = _status(exc)
            code = exc.response.get("Error", {}).get("Code", "")
            return status >= 500 or status in (408, 429) or code in ("RequestTimeout", "SlowDown")
        transient = (
            errors.ConnectionError,
            errors.HTTPClientError,
            errors.ReadTimeoutError,
            errors.ConnectTimeoutError,
        )
        return isinstance(exc, transient) or super().is_transient(exc)

    def explain(self, exc: BaseException) -> str:
        errors = self._botocore.exceptions
        if isinstance(exc, errors.ClientError):
            error = exc.response.get("Error", {})
            code = error.get("Code") or str(_status(exc))
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "AccessDenied"):
                return (
                    f"{code}: the store refused the credentials (check the access key "
                    "in the credentials file, and its permissions on the bucket)"
                )
            if code in ("NoSuchBucket", "404") and not error.get("Key"):
                return f"{code}: no bucket {self.bucket!r} there (create it, or fix the URL)"
            return f"{code}: {error.get('Message') or 'refused'}"
        if isinstance(exc, errors.NoCredentialsError):
            return "no AWS credentials: name a credentials file with `credentials:`"
        if isinstance(exc, errors.EndpointConnectionError):
            return f"cannot connect to {self.options.endpoint_url or 'S3'}"
        if isinstance(exc, errors.BotoCoreError):
            return type(exc).__name__  # their messages may quote request details
        return super().explain(exc)


def _status(exc: Any) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _same(have: dict[str, Any], data: bytes, checksum: dict[str, str]) -> bool:
    if "ChecksumSHA256" in checksum and have.get("ChecksumSHA256"):
        return have["ChecksumSHA256"] == checksum["ChecksumSHA256"]
    return have.get("ETag", "").strip('"') == hashlib.md5(data).hexdigest()


def _part_ref(number: int, part: dict[str, Any]) -> dict[str, Any]:
    ref = {"PartNumber": number, "ETag": part["ETag"]}
    if part.get("ChecksumSHA256"):
        ref["ChecksumSHA256"] = part["ChecksumSHA256"]
    return ref


def _shared_credentials(text: str) -> dict[str, str]:
    """An AWS shared-credentials INI (`[default]` or its only profile): session arguments."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        raise UserError(
            "the S3 credential is not an AWS shared-credentials file "
            "([default] with aws_access_key_id and aws_secret_access_key)"
        ) from None
    sections = parser.sections()
    name = "default" if "default" in sections else (sections[0] if len(sections) == 1 else None)
    if name is None:
        raise UserError("the S3 credentials file has several profiles and no [default]")
    profile = parser[name]
    if not profile.get("aws_access_key_id") or not profile.get("aws_secret_access_key"):
        raise UserError("the S3 credentials file lacks aws_access_key_id or aws_secret_access_key")
    from . import redact

    args = {
        "aws_access_key_id": profile["aws_access_key_id"].strip(),
        "aws_secret_access_key": redact.register(profile["aws_secret_access_key"].strip()),
    }
    if profile.get("aws_session_token"):
        args["aws_session_token"] = redact.register(profile["aws_session_token"].strip())
    return args


def open_store(options: Options, credential: str | None) -> S3Store:
    return S3Store(options, credential)
