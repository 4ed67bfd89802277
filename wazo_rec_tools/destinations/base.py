"""What every destination does the same way, over the few primitives each kind of store has.

A kind (`file`, `s3`, `gs`, `azure`, `sftp`) is a `Store`: look at an object (`head`), read it,
create it only if absent (with the store's own create-only condition), remove it. `Destination`
turns those into the one contract the jobs rely on:

- an object already there with the same content is success, with other content a conflict,
  never overwritten;
- the store is asked before every upload (some emulators ignore a create-only condition on
  some upload paths), and asked again when the create-only condition refuses;
- transient failures (5xx, timeouts, dropped connections) are retried with backoff;
- every failure ends as one line naming the destination, with no secret and no SDK traceback.
"""

from __future__ import annotations

import hashlib
import os
import secrets as random_names
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..errors import UserError
from .uploads import MemoryUploads, UploadLog

T = TypeVar("T")

PROBE_PREFIX = ".wazo-rec-probe-"


class DestinationError(UserError):
    """A delivery that failed; the job retries it on its next run."""

    reason: str | None = None  # the store's part of the message, without the location


class DestinationConflict(DestinationError):
    """The destination already holds a different object under the same key: never overwritten."""


class AlreadyThere(Exception):
    """Raised by `Store.create` when the store's create-only condition refused the write."""


class Transient(Exception):
    """A failure worth retrying (raised by stores for conditions their SDK does not type)."""


@dataclass(frozen=True)
class Found:
    """An object in the store: its size and, when the store kept it, our sha256 of it."""

    size: int
    sha256: str | None = None


@dataclass(frozen=True)
class Source:
    """A local file to store, with what is known of it."""

    path: Path
    sha256: str
    size: int


class Store(ABC):
    """The primitives of one kind of storage. Keys are relative, `/`-separated."""

    #: the destination's URL as configured (never carries a secret)
    url: str

    @abstractmethod
    def location(self, key: str) -> str:
        """Where `key` is, as a URL for people and the journal."""

    @abstractmethod
    def head(self, key: str) -> Found | None:
        """The object under `key`, or None."""

    @abstractmethod
    def read(self, key: str) -> Iterator[bytes]:
        """The object's bytes, in chunks."""

    @abstractmethod
    def create(self, key: str, source: Source, uploads: UploadLog) -> None:
        """Store `source` under `key` only if nothing is there (else `AlreadyThere`).

        Nothing is visible under `key` before the whole content is; an interrupted upload is
        resumed (or restarted) by the next call, using `uploads` to find it.
        """

    @abstractmethod
    def remove(self, key: str) -> None:
        """Remove `key` (the probe of `destinations check` only)."""

    def abandon(self, key: str, uploads: UploadLog) -> None:
        """Drop an unfinished upload of `key`, if this kind keeps any (multipart uploads)."""
        uploads.forget(self.url, key)

    def sweep(self) -> list[str]:
        """Remove what interrupted deliveries left (temporary names); their locations.

        Kinds whose unfinished uploads are invisible and expire (S3 multipart, journaled and
        resumed; GCS sessions; Azure uncommitted blocks) have nothing to sweep."""
        return []

    def is_transient(self, exc: BaseException) -> bool:
        """Whether `exc` may go away by trying again."""
        return isinstance(exc, Transient | TimeoutError | ConnectionError)

    def explain(self, exc: BaseException) -> str:
        """`exc` as a few words for people, without a secret."""
        return str(exc) or type(exc).__name__

    def close(self) -> None:  # noqa: B027
        """Release connections."""


@dataclass(frozen=True)
class Retry:
    """Backoff for transient failures: 1 s, 2 s, 4 s, ... at most `attempts` tries."""

    attempts: int = 5
    first: float = 1.0
    factor: float = 2.0
    longest: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * self.factor, self.longest)


@dataclass(frozen=True)
class CheckResult:
    """What `destinations check` found for one destination."""

    url: str
    writable: bool
    readable: bool
    message: str

    @property
    def line(self) -> str:
        return f"{self.url}: {self.message}"


class Destination:
    """One configured destination: the contract over a `Store`."""

    def __init__(
        self,
        store: Store,
        *,
        uploads: UploadLog | None = None,
        retry: Retry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store = store
        self.url = store.url
        self.uploads = uploads or MemoryUploads()
        self.retry = retry or Retry()
        self.sleep = sleep

    def location(self, key: str) -> str:
        return self.store.location(key)

    def exists(self, key: str, sha256: str) -> bool:
        """Whether `key` holds exactly this content; `DestinationConflict` if it holds another."""
        found = self._call("look at", key, lambda: self.store.head(key))
        if found is None:
            return False
        stored = found.sha256 or self._call("read back", key, lambda: _sha256(self.store, key))
        if stored != sha256:
            raise DestinationConflict(
                f"{self.location(key)} already exists with different content "
                f"(sha256 {stored[:12]}…, expected {sha256[:12]}…); it is never overwritten: "
                "move it away to deliver again"
            )
        return True

    def deliver(self, path: Path, key: str, sha256: str) -> str:
        """Store the file under `key` (nothing if it is already there); its location."""
        size = path.stat().st_size
        source = Source(Path(path), sha256, size)
        try:
            there = self.exists(key, sha256)
        except DestinationConflict:
            self._abandon(key)
            raise
        if there:
            # a killed run may have left an upload of this key journaled: never an orphan
            self._abandon(key)
            return self.location(key)
        try:
            self._call("write", key, lambda: self.store.create(key, source, self.uploads))
        except _Refused:
            # another writer got there first (or an earlier try of ours did): compare
            if not self.exists(key, sha256):
                raise DestinationError(f"{self.location(key)}: written, but not found") from None
            return self.location(key)
        # ours: the store checked its own checksum on the way; the size and our sha256
        # (where the store keeps it) say the whole object is there
        found = self._call("look at", key, lambda: self.store.head(key))
        if found is None or found.size != size or found.sha256 not in (None, sha256):
            raise DestinationError(
                f"{self.location(key)}: written, but the store holds "
                f"{'nothing' if found is None else f'{found.size} bytes'} there "
                f"instead of {size} bytes"
            )
        return self.location(key)

    def check(self) -> CheckResult:
        """Write a probe object under the prefix, read it back, remove it."""
        payload = f"wazo-rec-tools destinations check {random_names.token_hex(8)}\n".encode()
        key = PROBE_PREFIX + random_names.token_hex(6)
        digest = hashlib.sha256(payload).hexdigest()
        probe = _TempFile(payload)
        try:
            try:
                self._call("write", key, lambda: self.store.create(key, probe.source(), _NoLog()))
            except DestinationError as exc:
                return CheckResult(self.url, False, False, f"cannot write: {_tail(exc)}")
            except _Refused:
                return CheckResult(self.url, False, False, "cannot write: the probe name is taken")
            try:
                read: bytes | None = self._call(
                    "read back", key, lambda: b"".join(self.store.read(key))
                )
            except DestinationError:
                read = None
            try:
                self._call("remove", key, lambda: self.store.remove(key))
                removal = ""
            except DestinationError as exc:
                # not fatal to delivery, but the probe stays: say so
                removal = f"; the probe {key} stays ({_tail(exc)})"
            if read is None:
                # the store's reason for refusing the read is expected here: not repeated
                message = f"ok (write-only: cannot read back){removal}"
                return CheckResult(self.url, True, False, message)
            if hashlib.sha256(read).hexdigest() != digest:
                return CheckResult(
                    self.url, True, False, "written, but read back different bytes" + removal
                )
            return CheckResult(self.url, True, True, "ok" + removal)
        finally:
            probe.remove()

    def sweep(self) -> list[str]:
        """Remove the temporary objects an interrupted delivery left; their locations."""
        try:
            return self._call("clean up", "", self.store.sweep)
        except DestinationError:
            return []  # unreachable now: the delivery that follows says so, in its own line

    def close(self) -> None:
        self.store.close()

    def _abandon(self, key: str) -> None:
        if self.uploads.find(self.url, key) is not None:
            self._call("abort the upload of", key, lambda: self.store.abandon(key, self.uploads))

    # -- the one place where store failures are retried and turned into one line ----------

    def _call(self, what: str, key: str, action: Callable[[], T]) -> T:
        delays = self.retry.delays()
        while True:
            try:
                return action()
            except AlreadyThere:
                raise _Refused() from None
            except DestinationError:
                raise
            except Exception as exc:
                transient = self.store.is_transient(exc)
                reason = self.store.explain(exc)
            # outside the except block: the SDK's exception (and its context) is not chained
            delay = next(delays, None) if transient else None
            if delay is None:
                hint = " (gave up after retries; the next run tries again)" if transient else ""
                where = self.location(key) if key else self.url
                error = DestinationError(f"{where}: cannot {what}: {reason}{hint}")
                error.reason = reason
                raise error
            self.sleep(delay)


class _Refused(Exception):
    """Internal: the create-only condition refused the write."""


class _NoLog(MemoryUploads):
    """The probe's uploads are never resumed."""


class _TempFile:
    """A small local file for the probe."""

    def __init__(self, payload: bytes):
        fd, name = tempfile.mkstemp(prefix="wazo-rec-probe-")
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
        self.path = Path(name)
        self.payload = payload

    def source(self) -> Source:
        return Source(self.path, hashlib.sha256(self.payload).hexdigest(), len(self.payload))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _sha256(store: Store, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in store.read(key):
        digest.update(chunk)
    return digest.hexdigest()


def _tail(exc: DestinationError) -> str:
    """The reason part of a destination error (the URL is already on the line)."""
    return exc.reason or str(exc)
