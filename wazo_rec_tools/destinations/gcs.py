"""`gs://bucket/prefix`: Google Cloud Storage, native API (google-cloud-storage, `[gcs]`).

Create-only with `ifGenerationMatch=0`; resumable uploads in 32 MiB chunks (bounded memory),
each object's CRC32C checked by the library against the store's. An object becomes visible
only when its last chunk is in. A killed upload starts over on the next run: its session URL
is a bearer capability, so it is not kept in the journal, and GCS drops an unfinished session
after a week, without ever publishing it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"


class Options(_Options):
    endpoint_url: StrictStr | None = None
    project: StrictStr | None = None
    chunk_size_mib: Annotated[int, Field(ge=1, le=256)] = 32

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return bucket_url(value, "a GCS destination is gs://bucket/prefix")

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return endpoint_url(value)


class GcsStore(Store):
    def __init__(self, options: Options, credential: str | None):
        try:
            import google.api_core.exceptions as api_errors
            import google.auth.exceptions as auth_errors
            import requests
            from google.cloud import storage
        except ImportError:
            raise UserError(
                "gs:// needs google-cloud-storage: pip install 'wazo-rec-tools[gcs]'"
            ) from None
        self._api = api_errors
        self._auth = auth_errors
        self._requests = requests
        parts = urlsplit(options.url)
        self.url = options.url
        self.bucket_name = parts.netloc
        self.prefix = parts.path.strip("/")
        self.options = options
        client_options = {"api_endpoint": options.endpoint_url} if options.endpoint_url else None
        if credential is not None:
            from google.oauth2 import service_account

            try:
                info = json.loads(credential)
                creds = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
            except (ValueError, KeyError, TypeError):
                # the message could quote the key: say what it should be instead
                raise UserError(
                    "the GCS credential is not a service-account JSON key "
                    "(type service_account, client_email, private_key, token_uri)"
                ) from None
            project = options.project or info.get("project_id")
            self.client = storage.Client(
                project=project, credentials=creds, client_options=client_options
            )
        elif options.endpoint_url:
            from google.auth.credentials import AnonymousCredentials

            # an emulator: anonymous, as it expects
            self.client = storage.Client(
                project=options.project or "emulator",
                credentials=AnonymousCredentials(),
                client_options=client_options,
            )
        else:
            self.client = storage.Client(project=options.project)  # Application Default
        self.bucket = self.client.bucket(self.bucket_name)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def location(self, key: str) -> str:
        return f"gs://{self.bucket_name}/{self._name(key)}"

    def head(self, key: str) -> Found | None:
        blob = self.bucket.get_blob(self._name(key), retry=None, timeout=60)
        if blob is None:
            return None
        return Found(int(blob.size or 0), (blob.metadata or {}).get(SHA_KEY))

    def read(self, key: str) -> Iterator[bytes]:
        blob = self.bucket.blob(self._name(key))
        with blob.open("rb", chunk_size=MIB, retry=None) as reader:
            while chunk := reader.read(MIB):
                yield chunk

    def remove(self, key: str) -> None:
        self.bucket.blob(self._name(key)).delete(retry=None, timeout=60)

    def create(self, key: str, source: Source, uploads: UploadLog) -> None:
        blob = self.bucket.blob(self._name(key), chunk_size=self.options.chunk_size_mib * MIB)
        blob.metadata = {SHA_KEY: source.sha256}
        try:
            blob.upload_from_filename(
                str(source.path),
                if_generation_match=0,
                checksum="crc32c",
                retry=None,  # Destination retries, with its own backoff
                timeout=120,
            )
        except self._api.PreconditionFailed:
            raise AlreadyThere() from None

    def is_transient(self, exc: BaseException) -> bool:
        api = self._api
        transient: tuple[type[BaseException], ...] = (
            api.ServerError,
            api.TooManyRequests,
            api.RequestRangeNotSatisfiable,
            self._auth.TransportError,
            self._requests.ConnectionError,
            self._requests.Timeout,
        )
        if isinstance(exc, transient):
            return True
        # resumable-media reports a 5xx in the middle of an upload as its own type
        status = getattr(getattr(exc, "response", None), "status_code", None)
        return (isinstance(status, int) and status >= 500) or super().is_transient(exc)

    def explain(self, exc: BaseException) -> str:
        if isinstance(exc, self._auth.RefreshError):
            return (
                "the service-account key was refused (revoked, or not this project's); "
                "check the key named by `credentials:`"
            )
        if isinstance(exc, self._api.Forbidden | self._api.Unauthorized):
            return f"{exc.code}: access refused to bucket {self.bucket_name!r} (check its IAM)"
        if isinstance(exc, self._api.NotFound):
            return f"404: no bucket {self.bucket_name!r} there (create it, or fix the URL)"
        if isinstance(exc, self._api.GoogleAPICallError):
            return f"{exc.code}: {exc.message}"
        if isinstance(exc, self._requests.ConnectionError):
            return f"cannot connect to {self.options.endpoint_url or 'storage.googleapis.com'}"
        if isinstance(exc, self._auth.GoogleAuthError):
            return type(exc).__name__
        return _short(exc)


def _short(exc: Any) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def open_store(options: Options, credential: str | None) -> GcsStore:
    return GcsStore(options, credential)
