"""One harness per kind of destination, over a real server started once per test session.

A `Harness` gives the entry of a fresh, empty destination (behind a fault proxy), the secret
it uses (to assert it is never printed), entries with bad credentials, and direct access to
the store to plant a foreign object or look for leftovers.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.destinations import servers
from wazo_rec_tools.destinations import DestinationSpec, parse_entry

KINDS = ["file", "s3", "gs", "azure", "sftp"]


@dataclass
class Harness:
    kind: str
    entry: dict[str, Any]
    secret: str | None  # what must never be printed
    bad_entry: dict[str, Any] | None  # same destination, credentials the server refuses
    credentials_dir: Path
    proxy: Any = None  # HttpProxy / TcpProxy, or None (file://)
    resumes: bool = False  # a killed upload is resumed (not restarted) by the next run
    extra: Any = None

    def spec(self, **options: Any) -> DestinationSpec:
        return parse_entry({**self.entry, **options})

    def faults(self) -> servers.Faults:
        assert self.proxy is not None
        return self.proxy.faults

    def plant(self, key: str, data: bytes) -> None:
        """Put an object there directly, as someone else would."""
        PLANT[self.kind](self, key, data)

    def leftovers(self) -> list[str]:
        """Unfinished uploads or temporary files the store still holds."""
        return LEFTOVERS[self.kind](self)


@pytest.fixture(scope="session")
def storage_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("storage-servers")


@pytest.fixture(scope="session")
def moto_server(storage_workdir) -> Iterator[tuple[servers.Moto, servers.HttpProxy]]:
    server = servers.Moto(storage_workdir)
    proxy = servers.HttpProxy(server.port)
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture(scope="session")
def gcs_server(storage_workdir) -> Iterator[tuple[servers.FakeGcs, servers.HttpProxy]]:
    port = servers.free_port()
    server = servers.FakeGcs(storage_workdir, external_port=port)
    proxy = servers.HttpProxy(server.port, port=port)
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture(scope="session")
def azurite_server(storage_workdir) -> Iterator[tuple[servers.Azurite, servers.HttpProxy]]:
    server = servers.Azurite(storage_workdir)
    proxy = servers.HttpProxy(server.port)
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture(scope="session")
def sshd_server() -> Iterator[tuple[servers.Sshd, servers.TcpProxy]]:
    server = servers.Sshd()
    proxy = servers.TcpProxy(server.port)
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture
def credentials_dir(tmp_path, monkeypatch) -> Path:
    """Secrets as systemd hands them over: $CREDENTIALS_DIRECTORY/NAME."""
    path = tmp_path / "credentials"
    path.mkdir(mode=0o700)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(path))
    return path


def _write(directory: Path, name: str, value: str) -> str:
    target = directory / name
    target.write_text(value)
    target.chmod(0o600)
    return name


@pytest.fixture(params=KINDS)
def harness(request, credentials_dir, tmp_path) -> Iterator[Harness]:
    kind = request.param
    h = BUILD[kind](request, credentials_dir, tmp_path)
    if h.proxy is not None:
        h.proxy.faults.reset()
    yield h
    if h.proxy is not None:
        h.proxy.faults.reset()


def _file(request, creds: Path, tmp_path: Path) -> Harness:
    root = tmp_path / "archives"
    return Harness("file", {"url": root.as_uri()}, None, None, creds, extra=root)


def _s3(request, creds: Path, tmp_path: Path) -> Harness:
    server, proxy = request.getfixturevalue("moto_server")
    bucket = server.bucket()
    _write(creds, "s3-good", server.credentials_ini())
    _write(creds, "s3-bad", server.credentials_ini("wrong" + server.secret_key[5:]))
    entry = {
        "url": f"s3://{bucket}/wazo",
        "endpoint_url": proxy.url,
        "region": server.region,
        "credentials": "s3-good",
        "part_size_mib": 5,
    }
    bad = {**entry, "credentials": "s3-bad", "retries": 1}
    return Harness(
        "s3", entry, server.secret_key, bad, creds, proxy, resumes=True, extra=(server, bucket)
    )


def _gs(request, creds: Path, tmp_path: Path) -> Harness:
    server, proxy = request.getfixturevalue("gcs_server")
    bucket = server.bucket()
    token = request.getfixturevalue("gcs_token_server")
    _write(creds, "gcs-good", token.key_json(valid=True))
    _write(creds, "gcs-bad", token.key_json(valid=False))
    entry = {
        "url": f"gs://{bucket}/wazo",
        "endpoint_url": proxy.url,
        "credentials": "gcs-good",
        "chunk_size_mib": 1,
    }
    bad = {**entry, "credentials": "gcs-bad", "retries": 1}
    return Harness("gs", entry, token.private_key, bad, creds, proxy, extra=(server, bucket))


def _azure(request, creds: Path, tmp_path: Path) -> Harness:
    server, proxy = request.getfixturevalue("azurite_server")
    container = server.container()
    _write(creds, "azure-good", servers.AZURITE_KEY)
    _write(creds, "azure-bad", "A" * 86 + "==")
    entry = {
        "url": f"azure://{servers.AZURITE_ACCOUNT}/{container}/wazo",
        "endpoint_url": f"{proxy.url}/{servers.AZURITE_ACCOUNT}",
        "credentials": "azure-good",
        "block_size_mib": 1,
    }
    bad = {**entry, "credentials": "azure-bad", "retries": 1}
    return Harness(
        "azure",
        entry,
        servers.AZURITE_KEY,
        bad,
        creds,
        proxy,
        resumes=True,
        extra=(server, container),
    )


def _sftp(request, creds: Path, tmp_path: Path) -> Harness:
    server, proxy = request.getfixturevalue("sshd_server")
    folder = server.folder()
    _write(creds, "sftp-key", server.client_key)
    _write(creds, "sftp-bad", "not-the-password-" + server.password)
    entry = {
        "url": f"sftp://{servers.SFTP_USER}@127.0.0.1:{proxy.port}{folder}",
        "credentials": "sftp-key",
        "known_hosts": str(server.known_hosts(proxy.port)),
    }
    bad = {**entry, "credentials": "sftp-bad", "retries": 1}
    return Harness("sftp", entry, server.client_key, bad, creds, proxy, extra=(server, folder))


BUILD = {"file": _file, "s3": _s3, "gs": _gs, "azure": _azure, "sftp": _sftp}


def _plant_file(h: Harness, key: str, data: bytes) -> None:
    target = h.extra / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _plant_s3(h: Harness, key: str, data: bytes) -> None:
    server, bucket = h.extra
    server.admin.put_object(Bucket=bucket, Key=f"wazo/{key}", Body=data)


def _plant_gs(h: Harness, key: str, data: bytes) -> None:
    server, bucket = h.extra
    server.client().bucket(bucket).blob(f"wazo/{key}").upload_from_string(data)


def _plant_azure(h: Harness, key: str, data: bytes) -> None:
    server, container = h.extra
    server.service().get_blob_client(container, f"wazo/{key}").upload_blob(data)


def _plant_sftp(h: Harness, key: str, data: bytes) -> None:
    server, folder = h.extra
    root = server.chroot / folder.lstrip("/")
    target = root / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    for path in [target, *target.relative_to(root).parents]:
        shutil.chown(root / path, servers.SFTP_USER, servers.SFTP_USER)  # as the server's user


PLANT = {
    "file": _plant_file,
    "s3": _plant_s3,
    "gs": _plant_gs,
    "azure": _plant_azure,
    "sftp": _plant_sftp,
}


def _left_file(h: Harness) -> list[str]:
    root: Path = h.extra
    return sorted(str(p) for p in root.rglob(".*")) if root.exists() else []


def _left_s3(h: Harness) -> list[str]:
    server, bucket = h.extra
    uploads = server.admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return [u["Key"] for u in uploads]


def _left_gs(h: Harness) -> list[str]:
    return []  # an unfinished resumable session holds no object: nothing to see


def _left_azure(h: Harness) -> list[str]:
    return []  # uncommitted blocks are dropped by the service; no blob exists for them


def _left_sftp(h: Harness) -> list[str]:
    server, folder = h.extra
    root = server.chroot / folder.lstrip("/")
    return sorted(str(p) for p in root.rglob(".*"))


LEFTOVERS = {
    "file": _left_file,
    "s3": _left_s3,
    "gs": _left_gs,
    "azure": _left_azure,
    "sftp": _left_sftp,
}


# -- a token endpoint for GCS service-account keys -----------------------------------------


class TokenServer:
    """OAuth2 token endpoint on 127.0.0.1 for service-account keys (`token_uri`): grants a
    token to the key made `valid`, refuses the other one (invalid_grant), as Google does."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs

        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        def pem() -> str:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()

        self.private_key = pem()
        self.bad_private_key = pem()
        self.access_token = "ya29.test-" + os.urandom(12).hex()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        def do_post(handler: BaseHTTPRequestHandler) -> None:
            import base64

            length = int(handler.headers.get("Content-Length") or 0)
            form = parse_qs(handler.rfile.read(length).decode())
            assertion = form.get("assertion", [""])[0]
            payload = assertion.split(".")[1] if assertion.count(".") == 2 else ""
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            if claims.get("iss") == "good@test.iam.gserviceaccount.com":
                status = 200
                body = {"access_token": outer.access_token, "expires_in": 3600}
            else:
                status = 400
                body = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            data = json.dumps(body).encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)

        Handler.do_POST = do_post  # type: ignore[assignment]
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def key_json(self, *, valid: bool) -> str:
        import json

        return json.dumps(
            {
                "type": "service_account",
                "project_id": "test",
                "private_key_id": "k1",
                "private_key": self.private_key if valid else self.bad_private_key,
                "client_email": ("good" if valid else "revoked") + "@test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"http://127.0.0.1:{self.port}/token",
            }
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def gcs_token_server() -> Iterator[TokenServer]:
    server = TokenServer()
    yield server
    server.stop()


@pytest.fixture
def no_credentials_env(monkeypatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def snapshot(h: Harness, key: str) -> Any:
    """Something that changes whenever the store is written to (or `key` rewritten)."""
    if h.kind == "file":
        st = (h.extra / key).stat()
        return (st.st_ino, st.st_mtime_ns)
    if h.kind == "sftp":
        server, folder = h.extra
        st = (server.chroot / folder.lstrip("/") / key).stat()
        return (st.st_ino, st.st_mtime_ns)
    return h.proxy.faults.writes
