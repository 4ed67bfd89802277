"""What a job tells its operator, and the copy of it that the monitors send (the log tail)."""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO


class Reporter(Protocol):
    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def error(self, message: str) -> None: ...


class StreamReporter:
    """Plain lines: information on stdout, warnings and errors on stderr (the journal)."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None):
        self.out = out
        self.err = err

    def info(self, message: str) -> None:
        print(message, file=self.out or sys.stdout, flush=True)

    def warning(self, message: str) -> None:
        print(f"warning: {message}", file=self.err or sys.stderr, flush=True)

    def error(self, message: str) -> None:
        print(f"error: {message}", file=self.err or sys.stderr, flush=True)


class RecordingReporter:
    """Forwards to another reporter and keeps every line, for the fail ping's log tail.

    Whatever else the wrapped reporter offers (transfer progress, ...) passes through.
    """

    def __init__(self, inner: Any):
        self.inner = inner
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)
        self.inner.info(message)

    def note(self, message: str) -> None:
        """Keep a line for the log tail without showing it (the caller renders it itself)."""
        self.lines.append(message)

    def warning(self, message: str) -> None:
        self.lines.append(f"warning: {message}")
        self.inner.warning(message)

    def error(self, message: str) -> None:
        self.lines.append(f"error: {message}")
        self.inner.error(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
