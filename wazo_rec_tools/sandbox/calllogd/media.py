"""Recording media generated on demand: a valid WAV, deterministic from the recording uuid.

Nothing is stored: any byte range of a recording of any size is computed from its uuid, so a
1 GB recording costs no memory and every download of it gives the same bytes.
"""

import random
import struct
import uuid
from collections.abc import Iterator
from functools import lru_cache

HEADER_SIZE = 44
SAMPLE_RATE = 8000
CHUNK_SIZE = 256 * 1024
# The PCM data repeats a block drawn from the uuid; larger than deflate's 32 KiB window, so
# a zip of the media does not shrink to nothing.
_BLOCK_SIZE = 64 * 1024


def wav_header(size: int) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV file of `size` bytes in all."""
    data_size = size - HEADER_SIZE
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        size - 8,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        1,  # mono
        SAMPLE_RATE,
        SAMPLE_RATE * 2,
        2,
        16,
        b"data",
        data_size,
    )


_SIGN_BYTES = bytes(0x00 if value < 128 else 0xFF for value in range(256))


@lru_cache(maxsize=256)
def _pcm_block(recording_uuid: str) -> bytes:
    rng = random.Random(uuid.UUID(recording_uuid).int)
    # Quiet noise: little-endian 16-bit samples in [-256, 255], like a line with nobody
    # speaking: a random low byte, a high byte 0x00 or 0xFF. Built with byte operations only:
    # drawing a sample at a time made an export of a hundred recordings take seconds.
    count = _BLOCK_SIZE // 2
    block = bytearray(_BLOCK_SIZE)
    block[0::2] = rng.randbytes(count)
    block[1::2] = rng.randbytes(count).translate(_SIGN_BYTES)
    return bytes(block)


def media_size(size: int) -> int:
    """The real size of a recording asked to be `size` bytes (never below a bare header)."""
    return max(size, HEADER_SIZE)


def iter_media(
    recording_uuid: str, size: int, start: int = 0, end: int | None = None
) -> Iterator[bytes]:
    """Bytes [start, end] (inclusive) of the recording's WAV file, in chunks of CHUNK_SIZE."""
    size = media_size(size)
    end = size - 1 if end is None else min(end, size - 1)
    position = start
    if position < HEADER_SIZE and position <= end:
        header = wav_header(size)
        piece = header[position : min(end + 1, HEADER_SIZE)]
        yield piece
        position += len(piece)
    if position > end:
        return
    # Any window of up to CHUNK_SIZE bytes of the repeated block is a plain slice of this.
    tiled = _pcm_block(recording_uuid) * (CHUNK_SIZE // _BLOCK_SIZE + 1)
    while position <= end:
        offset = (position - HEADER_SIZE) % _BLOCK_SIZE
        length = min(end + 1 - position, CHUNK_SIZE)
        yield tiled[offset : offset + length]
        position += length


def media_bytes(recording_uuid: str, size: int) -> bytes:
    """The whole recording at once: for tests and small recordings only."""
    return b"".join(iter_media(recording_uuid, size))
