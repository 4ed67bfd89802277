"""`sftp://user@host:port/path`: a folder on an SSH server (asyncssh, the `[sftp]` extra).

As `file://` does: written to a temporary name beside the target, then hard-linked into place
(OpenSSH's `hardlink@openssh.com`, which fails when the name exists), so a half-written file
is never under the real name. A server without that extension gets a plain SFTP rename, which
the protocol defines as failing when the target exists. A killed upload leaves only its
temporary name, which the next delivery of that key writes over. The SSH transport's MAC
protects the bytes on the way; the file is not read back after the upload.

The host key is pinned: `known_hosts` is required, and a key that is not in it (or changed)
is refused, never learnt. Transfers use bounded blocks and requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator

from ..errors import UserError
from .base import AlreadyThere, Found, Source, Store
from .entries import Options as _Options
from .uploads import UploadLog

KIB = 1024
CONNECT_TIMEOUT = 20


class Options(_Options):
    known_hosts: Annotated[Path, Field(strict=False)]
    # 240 KiB blocks, 32 in flight: 7.5 MiB at most in memory (asyncssh's defaults follow
    # the server's limits: hundreds of MB on a fast link). OpenSSH's sftp-server closes the
    # connection on a message over 256 KiB, header included: blocks stay below that.
    block_size_kib: Annotated[int, Field(ge=16, le=240)] = 240
    max_requests: Annotated[int, Field(ge=1, le=128)] = 32

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if not parts.hostname or not parts.username or not parts.path.startswith("/"):
            raise ValueError(f"{value!r}: an SFTP destination is sftp://user@host:port/path")
        if parts.password is not None:
            raise ValueError("must not carry a password; name a secret with `credentials:`")
        try:
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            raise ValueError(f"{value!r}: bad port") from None
        return value.rstrip("/") if parts.path != "/" else value

    @field_validator("known_hosts", mode="before")
    @classmethod
    def _known_hosts(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith("/"):
            raise ValueError(
                "the absolute path of an OpenSSH known_hosts file holding the server's key "
                "(e.g. from ssh-keyscan -p PORT HOST, checked by hand)"
            )
        return value


class SftpStore(Store):
    def __init__(self, options: Options, credential: str | None):
        try:
            import asyncssh
        except ImportError:
            raise UserError("sftp:// needs asyncssh: pip install 'wazo-rec-tools[sftp]'") from None
        self._ssh = asyncssh
        parts = urlsplit(options.url)
        self.url = options.url
        self.options = options
        self.host = parts.hostname or ""
        self.port = parts.port or 22
        self.username = unquote(parts.username or "")
        self.root = unquote(parts.path)
        if not options.known_hosts.is_file():
            raise UserError(
                f"{options.url}: known_hosts {options.known_hosts} does not exist "
                "(put the server's host key there, checked by hand)"
            )
        self._auth: dict[str, Any] = {}
        if credential is not None:
            if "PRIVATE KEY-----" in credential:
                try:
                    key = asyncssh.import_private_key(credential)
                except (asyncssh.KeyImportError, ValueError):
                    raise UserError(
                        "the SFTP credential looks like a private key but cannot be read "
                        "(an OpenSSH or PEM key without passphrase)"
                    ) from None
                self._auth = {"client_keys": [key], "password": None}
            else:
                self._auth = {"password": credential, "client_keys": None}
        self._loop = asyncio.new_event_loop()
        self._conn: Any = None
        self._sftp: Any = None

    # -- connection -----------------------------------------------------------------------

    def _run(self, coro: Any) -> Any:
        return self._loop.run_until_complete(coro)

    async def _client(self) -> Any:
        if self._sftp is None:
            self._conn = await asyncio.wait_for(
                self._ssh.connect(
                    self.host,
                    self.port,
                    username=self.username,
                    known_hosts=str(self.options.known_hosts),
                    agent_path=None,
                    config=None,
                    preferred_auth="publickey,keyboard-interactive,password",
                    **self._auth,
                ),
                CONNECT_TIMEOUT,
            )
            self._sftp = await self._conn.start_sftp_client()
        return self._sftp

    def _drop(self, *, graceful: bool = False) -> None:
        conn, self._conn, self._sftp = self._conn, None, None
        if conn is None or self._loop.is_closed():
            return
        with contextlib.suppress(Exception):
            if graceful:
                conn.close()
                self._loop.run_until_complete(asyncio.wait_for(conn.wait_closed(), 2))
            else:
                conn.abort()
                self._loop.run_until_complete(asyncio.sleep(0))

    def _call(self, action: Any) -> Any:
        try:
            return self._run(action())
        except BaseException:
            self._drop()  # a fresh connection for the retry
            raise

    def close(self) -> None:
        if not self._loop.is_closed():
            self._drop(graceful=True)
            self._loop.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    # -- primitives -----------------------------------------------------------------------

    def _path(self, key: str) -> str:
        relative = posixpath.normpath(key)
        if relative.startswith(("/", "..")) or relative == ".":
            raise ValueError(f"bad destination key {key!r}")
        return posixpath.join(self.root, relative)

    def location(self, key: str) -> str:
        port = f":{self.port}" if self.port != 22 else ""
        return f"sftp://{self.username}@{self.host}{port}{self._path(key)}"

    def head(self, key: str) -> Found | None:
        async def go() -> Found | None:
            sftp = await self._client()
            try:
                attrs = await sftp.stat(self._path(key))
            except self._ssh.SFTPNoSuchFile:
                return None
            return Found(int(attrs.size or 0))

        return self._call(go)

    def read(self, key: str) -> Iterator[bytes]:
        block = self.options.block_size_kib * KIB
        chunk_size = block * self.options.max_requests  # one pipelined read per chunk

        async def opened() -> Any:
            sftp = await self._client()
            return await sftp.open(
                self._path(key), "rb", block_size=block, max_requests=self.options.max_requests
            )

        handle = self._call(opened)
        try:
            while True:
                chunk = self._call(lambda: handle.read(chunk_size))
                if not chunk:
                    break
                yield chunk
        finally:
            if self._sftp is not None:
                self._call(handle.close)

    def create(self, key: str, source: Source, uploads: UploadLog) -> None:
        target = self._path(key)
        temp = posixpath.join(posixpath.dirname(target), f".{posixpath.basename(target)}.part")

        async def go() -> None:
            sftp = await self._client()
            await sftp.makedirs(posixpath.dirname(target), exist_ok=True)
            if await sftp.exists(target):
                raise AlreadyThere()
            await sftp.put(
                str(source.path),
                temp,
                block_size=self.options.block_size_kib * KIB,
                max_requests=self.options.max_requests,
            )
            try:
                try:
                    await sftp.link(temp, target)  # hardlink@openssh.com
                except self._ssh.SFTPOpUnsupported:
                    await sftp.rename(temp, target)  # SFTPv3: fails when target exists
            except self._ssh.SFTPFailure:
                if await sftp.exists(target):
                    raise AlreadyThere() from None
                raise
            finally:
                if await sftp.exists(temp):
                    await sftp.remove(temp)

        self._call(go)

    def sweep(self) -> list[str]:
        """Temporary names (`<tenant>/<year>/.<name>.part`) left by a killed upload."""

        async def go() -> list[str]:
            sftp = await self._client()
            if not await sftp.isdir(self.root):
                return []
            found = await sftp.glob(posixpath.join(self.root, "*", "*", ".*.part"))
            for path in found:
                await sftp.remove(path)
            return found

        port = f":{self.port}" if self.port != 22 else ""
        removed = self._call(go)
        return [f"sftp://{self.username}@{self.host}{port}{path}" for path in removed]

    def remove(self, key: str) -> None:
        async def go() -> None:
            sftp = await self._client()
            await sftp.remove(self._path(key))

        self._call(go)

    def is_transient(self, exc: BaseException) -> bool:
        ssh = self._ssh
        if isinstance(exc, ssh.PermissionDenied | ssh.HostKeyNotVerifiable):
            return False
        if isinstance(exc, ssh.ConnectionLost | ssh.SFTPConnectionLost | ssh.DisconnectError):
            return True
        return isinstance(exc, OSError | asyncio.TimeoutError) or super().is_transient(exc)

    def explain(self, exc: BaseException) -> str:
        ssh = self._ssh
        if isinstance(exc, ssh.HostKeyNotVerifiable):
            return (
                f"the host key of {self.host}:{self.port} is not the one pinned in "
                f"{self.options.known_hosts} (unknown or changed): refused; if the server's "
                "key really changed, check it out of band and update that file"
            )
        if isinstance(exc, ssh.PermissionDenied):
            return (
                f"{self.username}@{self.host} refused the credentials (check the key or "
                "password named by `credentials:` and the account on the server)"
            )
        if isinstance(exc, ssh.SFTPPermissionDenied):
            return f"permission denied on the server under {self.root}"
        if isinstance(exc, ssh.SFTPError):
            return f"SFTP: {exc.reason}"
        if isinstance(exc, ssh.DisconnectError | ssh.ConnectionLost):
            return f"connection to {self.host}:{self.port} lost"
        if isinstance(exc, ConnectionRefusedError):
            return f"cannot connect to {self.host}:{self.port} (connection refused)"
        if isinstance(exc, asyncio.TimeoutError):
            return f"no answer from {self.host}:{self.port}"
        if isinstance(exc, OSError):
            return f"cannot connect to {self.host}:{self.port} ({exc.strerror or exc})"
        return type(exc).__name__


def open_store(options: Options, credential: str | None) -> SftpStore:
    return SftpStore(options, credential)
