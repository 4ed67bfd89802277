"""Headless Chromium (Debian's `chromium`, installed by scripts/setup-chromium) for the tests.

Every request other than the page itself goes to a dead proxy on loopback, so the page can
load nothing from the network; screenshots are decoded here (PNG, standard library) so that
the tests can look at what was drawn without comparing pixels.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",  # the suite may run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",  # discard port: nothing listens, nothing leaves
    "--proxy-bypass-list=<-loopback>",
)


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "chromium missing: run scripts/setup-chromium (scripts/test does)"
    return found


def run(page: Path, profile: Path, *args: str) -> str:
    result = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM after the page loaded, as HTML."""
    return run(page, profile, "--dump-dom")


def screenshot(page: Path, profile: Path, out: Path, width: int, height: int) -> Path:
    run(page, profile, f"--window-size={width},{height}", f"--screenshot={out}")
    return out


@dataclass
class Image:
    width: int
    height: int
    rows: list[bytes]  # RGB, 3 bytes per pixel

    def count(self, colour: tuple[int, int, int]) -> int:
        """Pixels of exactly this colour (flat fills such as the chart's bars)."""
        needle = bytes(colour)
        total = 0
        for row in self.rows:
            at = row.find(needle)
            while at != -1:
                if at % 3 == 0:
                    total += 1
                    at = row.find(needle, at + 3)
                else:
                    at = row.find(needle, at + 1)
        return total

    def share_not_white(self) -> float:
        """The share of colour bytes below 0xF0: how much of the page is drawn on."""
        light = bytes(range(0xF0, 0x100))
        drawn = sum(len(row.translate(None, light)) for row in self.rows)
        return drawn / (self.width * self.height * 3)


def read_png(path: Path) -> Image:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes), decoded."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    assert header is not None
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    low, high = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]
        if kind == 2:  # "up", most rows: a byte-wise sum without carries, on whole rows
            a, b = int.from_bytes(line, "big"), int.from_bytes(previous, "big")
            line = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        elif kind != 0:
            line = _unfilter(kind, bytearray(line), previous, bpp)
        rows.append(line)
        previous = line
    if bpp == 4:
        rows = [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]
    return Image(width, height, rows)


def _unfilter(kind: int, line: bytearray, previous: bytes, bpp: int) -> bytes:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            corner = previous[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + guess) & 0xFF
    return bytes(line)
