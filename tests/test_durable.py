"""The three crash-safe writes: a new file, a replaced file, a stream."""

from __future__ import annotations

import stat

import pytest

from wazo_rec_tools import durable


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_new_creates_the_file_with_its_mode_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "policy.yml"

    durable.write_new(target, b"rules: []\n", 0o640)

    assert target.read_bytes() == b"rules: []\n"
    assert mode(target) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["policy.yml"]


def test_write_new_never_overwrites_an_existing_file(tmp_path):
    target = tmp_path / "policy.yml"
    target.write_bytes(b"mine")

    with pytest.raises(FileExistsError):
        durable.write_new(target, b"theirs")

    assert target.read_bytes() == b"mine"
    assert [p.name for p in tmp_path.iterdir()] == ["policy.yml"]


def test_write_new_copies_a_file(tmp_path):
    source = tmp_path / "a.zip"
    source.write_bytes(b"PK" * 1000)

    durable.write_new(tmp_path / "b.zip", source)

    assert (tmp_path / "b.zip").read_bytes() == source.read_bytes()


def test_replace_swaps_the_content_whole(tmp_path):
    target = tmp_path / "token"
    target.write_bytes(b"old")

    durable.replace(target, b"new\n", 0o600)

    assert target.read_bytes() == b"new\n"
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["token"]


def test_stream_into_publishes_the_file_only_once_complete(tmp_path):
    target = tmp_path / "a.zip"

    with durable.stream_into(target) as out:
        out.write(b"half")
        out.flush()
        assert not target.exists()
        assert durable.part_path(target).read_bytes() == b"half"
        out.write(b" and the rest")

    assert target.read_bytes() == b"half and the rest"
    assert mode(target) == 0o600
    assert not durable.part_path(target).exists()


def test_a_stream_that_fails_leaves_neither_the_file_nor_its_part(tmp_path):
    target = tmp_path / "a.zip"
    target.write_bytes(b"previous")

    with pytest.raises(ConnectionError), durable.stream_into(target) as out:
        out.write(b"partial")
        raise ConnectionError("cut")

    assert target.read_bytes() == b"previous"
    assert not durable.part_path(target).exists()


def test_leftover_temporary_names_are_found_by_name(tmp_path):
    target = tmp_path / "a[1].zip"
    leftover = durable.temp_name(target)
    leftover.write_bytes(b"")
    (tmp_path / ".other.zip.0000.tmp").write_bytes(b"")

    assert list(durable.temp_names(target)) == [leftover]
