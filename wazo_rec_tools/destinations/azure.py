"""`azure://account/container/prefix`: Azure Blob Storage (azure-storage-blob, `[azure]`).

A block blob: blocks staged with their transactional MD5 (checked by the service), then the
block list committed with `If-None-Match: *` (`overwrite=False` semantics), the whole blob's
Content-MD5 set so that every later download is checked too. Nothing is visible before the
commit. Block ids are derived from the content, so a killed run's staged blocks are found and
reused by the next one; uncommitted blocks that nobody commits are dropped by Azure after a
week.

Credentials: an account key, a SAS token or a connection string; without any, a managed
identity (or any Azure default credential) when azure-identity is installed.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, StrictStr, field_validator

from ..errors import UserError
from .base import AlreadyThere, Found, Source, Store
from .entries import Options as _Options
from .entries import bucket_url, endpoint_url
from .uploads import UploadLog

MIB = 1024 * 1024
SHA_KEY = "sha256"


class Options(_Options):
    endpoint_url: StrictStr | None = None
    block_size_mib: Annotated[int, Field(ge=1, le=100)] = 8
    concurrency: Annotated[int, Field(ge=1, le=16)] = 4

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        shape = "an Azure destination is azure://account/container/prefix"
        return bucket_url(value, shape, needs_path=True)

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return endpoint_url(value)


class AzureStore(Store):
    def __init__(self, options: Options, credential: str | None):
        try:
            import azure.core.exceptions as errors
            from azure.core import MatchConditions
            from azure.storage.blob import BlobBlock, BlobServiceClient, ContentSettings
        except ImportError:
            raise UserError(
                "azure:// needs azure-storage-blob: pip install 'wazo-rec-tools[azure]'"
            ) from None
        self._errors = errors
        self._match = MatchConditions
        self._block = BlobBlock
        self._settings = ContentSettings
        parts = urlsplit(options.url)
        self.url = options.url
        self.account = parts.netloc
        container, _, prefix = parts.path.strip("/").partition("/")
        self.container_name = container
        self.prefix = prefix.strip("/")
        self.options = options
        account_url = options.endpoint_url or f"https://{self.account}.blob.core.windows.net"
        # the Destination retries, with its own backoff
        common: dict[str, Any] = {"retry_total": 0, "connection_timeout": 20, "read_timeout": 120}
        if credential is None:
            service = BlobServiceClient(account_url, credential=_default_credential(), **common)
        elif "AccountKey=" in credential or "SharedAccessSignature=" in credential:
            service = BlobServiceClient.from_connection_string(credential, **common)
            if options.endpoint_url:
                service = BlobServiceClient(account_url, credential=service.credential, **common)
        elif "sig=" in credential:
            service = BlobServiceClient(account_url, credential=credential.lstrip("?"), **common)
        else:
            service = BlobServiceClient(
                account_url,
                credential={"account_name": self.account, "account_key": credential},
                **common,
            )
        self.container = service.get_container_client(container)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def location(self, key: str) -> str:
        return f"azure://{self.account}/{self.container_name}/{self._name(key)}"

    def head(self, key: str) -> Found | None:
        try:
            props = self.container.get_blob_client(self._name(key)).get_blob_properties()
        except self._errors.ResourceNotFoundError:
            return None
        return Found(props.size, (props.metadata or {}).get(SHA_KEY))

    def read(self, key: str) -> Iterator[bytes]:
        stream = self.container.get_blob_client(self._name(key)).download_blob()
        yield from stream.chunks()

    def remove(self, key: str) -> None:
        self.container.get_blob_client(self._name(key)).delete_blob()

    def create(self, key: str, source: Source, uploads: UploadLog) -> None:
        blob = self.container.get_blob_client(self._name(key))
        block_size = self.options.block_size_mib * MIB
        staged = self._uncommitted(blob)
        ids: dict[int, str] = {}
        whole = hashlib.md5()
        slots = threading.BoundedSemaphore(self.options.concurrency)

        def stage(number: int, data: bytes) -> None:
            try:
                block_id = ids[number]
                if staged.get(block_id) != len(data):
                    blob.stage_block(block_id, data, length=len(data), validate_content=True)
            finally:
                slots.release()

        futures: list[Future] = []
        with (
            ThreadPoolExecutor(self.options.concurrency) as pool,
            open(source.path, "rb") as body,
        ):
            number = 0
            while True:
                slots.acquire()  # at most `concurrency` blocks in memory
                data = body.read(block_size)
                if not data or any(f.done() and f.exception() for f in futures):
                    slots.release()
                    break
                whole.update(data)
                # content-derived ids: the same block of the same file has the same id
                digest = hashlib.sha256(data).hexdigest()[:32]
                ids[number] = base64.b64encode(f"{number:06d}-{digest}".encode()).decode()
                futures.append(pool.submit(stage, number, data))
                number += 1
            wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.result()
        blocks = [self._block(block_id=ids[n]) for n in range(len(ids))]
        try:
            blob.commit_block_list(
                blocks,
                metadata={SHA_KEY: source.sha256},
                content_settings=self._settings(content_md5=bytearray(whole.digest())),
                match_condition=self._match.IfMissing,
            )
        except (self._errors.ResourceExistsError, self._errors.ResourceModifiedError):
            raise AlreadyThere() from None

    def _uncommitted(self, blob: Any) -> dict[str, int]:
        try:
            _, uncommitted = blob.get_block_list("uncommitted")
        except self._errors.ResourceNotFoundError:
            return {}
        return {b.id: b.size for b in uncommitted}

    def is_transient(self, exc: BaseException) -> bool:
        errors = self._errors
        if isinstance(exc, errors.HttpResponseError):
            status = exc.status_code or 0
            return status >= 500 or status in (408, 429)
        if isinstance(exc, errors.ServiceRequestError | errors.ServiceResponseError):
            return True
        return super().is_transient(exc)

    def explain(self, exc: BaseException) -> str:
        errors = self._errors
        if isinstance(exc, errors.HttpResponseError) and exc.status_code in (401, 403):
            return (
                f"{exc.status_code}: the storage account refused the credentials (check the "
                "account key, SAS token or connection string, its expiry and permissions)"
            )
        if isinstance(exc, errors.ResourceNotFoundError) and exc.error_code in (
            "ContainerNotFound",
        ):
            return f"no container {self.container_name!r} there (create it, or fix the URL)"
        if isinstance(exc, errors.HttpResponseError):
            code = getattr(exc.error_code, "value", exc.error_code)
            return f"{exc.status_code} {code or exc.reason or ''}".strip()
        if isinstance(exc, errors.ServiceRequestError):
            return f"cannot connect to {self.options.endpoint_url or self.account}"
        if isinstance(exc, errors.AzureError):
            return type(exc).__name__  # their messages may quote request details
        return super().explain(exc)


def _default_credential() -> Any:
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise UserError(
            "an azure:// destination without `credentials:` uses a managed identity, which "
            "needs azure-identity (pip install azure-identity); or name an account key, SAS "
            "token or connection string with `credentials:`"
        ) from None
    return DefaultAzureCredential()


def open_store(options: Options, credential: str | None) -> AzureStore:
    return AzureStore(options, credential)
