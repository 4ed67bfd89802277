"""What a run tells its operator: plain log lines (systemd, pipes) or a live line on a TTY."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO


class Reporter(Protocol):
    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def error(self, message: str) -> None: ...

    def transfer(self, label: str) -> Callable[[int], None]:
        """A callback counting the bytes of one download."""
        ...

    def done(self) -> None:
        """The current transfer is over."""
        ...


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


class LineReporter:
    """One plain line per event, no colour, no carriage returns: what the journal keeps.

    Under systemd, stdout goes to the journal; a transfer gets one line when it ends.
    """

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._label: str | None = None
        self._bytes = 0
        self._started = 0.0

    def info(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    def warning(self, message: str) -> None:
        print(f"warning: {message}", file=self.err, flush=True)

    def error(self, message: str) -> None:
        print(f"error: {message}", file=self.err, flush=True)

    def transfer(self, label: str) -> Callable[[int], None]:
        self._label, self._bytes, self._started = label, 0, time.monotonic()

        def count(size: int) -> None:
            self._bytes += size

        return count

    def done(self) -> None:
        if self._label is None:
            return
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = human_size(int(self._bytes / elapsed))
        self.info(f"{self._label}: downloaded {human_size(self._bytes)} ({rate}/s)")
        self._label = None


class TtyReporter(LineReporter):
    """Lines as above, plus a live byte counter while a download runs."""

    _REFRESH = 0.2  # seconds between redraws

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None):
        super().__init__(out, err)
        self._drawn = 0.0
        self._width = 0

    def transfer(self, label: str) -> Callable[[int], None]:
        count = super().transfer(label)

        def draw(size: int) -> None:
            count(size)
            now = time.monotonic()
            if now - self._drawn >= self._REFRESH:
                self._drawn = now
                self._draw(f"{label}: downloading {human_size(self._bytes)}")

        return draw

    def _draw(self, text: str) -> None:
        self.err.write("\r" + text.ljust(self._width))
        self.err.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self._width:
            self.err.write("\r" + " " * self._width + "\r")
            self.err.flush()
            self._width = 0

    def info(self, message: str) -> None:
        self._clear()
        super().info(message)

    def warning(self, message: str) -> None:
        self._clear()
        super().warning(message)

    def error(self, message: str) -> None:
        self._clear()
        super().error(message)
