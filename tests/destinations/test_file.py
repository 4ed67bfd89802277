from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from wazo_rec_tools import durable
from wazo_rec_tools.destinations import DestinationConflict, open_destination
from wazo_rec_tools.errors import UserError
from wazo_rec_tools.export.layout import archive_key, manifest_key

KEY = "acme/2026/2026-03-23_2026-03-30.zip"


def make_source(tmp_path: Path, content: bytes = b"PK\x05\x06" + b"\0" * 18) -> tuple[Path, str]:
    source = tmp_path / "spool.zip"
    source.write_bytes(content)
    return source, hashlib.sha256(content).hexdigest()


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "archives"


def test_archive_key_is_tenant_year_and_window_label():
    key = archive_key("acme", 2026, "2026-03-23_2026-03-30")

    assert key == KEY
    assert manifest_key(key) == KEY + ".manifest.json"


def test_file_destination_delivers_under_its_key_and_returns_a_file_url(tmp_path, root):
    source, sha = make_source(tmp_path)

    location = open_destination(root.as_uri()).deliver(source, KEY, sha)

    target = root / KEY
    assert target.read_bytes() == source.read_bytes()
    assert location == target.as_uri()


def test_delivered_file_is_not_readable_by_others(tmp_path, root):
    source, sha = make_source(tmp_path)

    open_destination(root.as_uri()).deliver(source, KEY, sha)

    assert stat.S_IMODE((root / KEY).stat().st_mode) & 0o007 == 0


def test_delivering_the_same_content_again_changes_nothing(tmp_path, root):
    source, sha = make_source(tmp_path)
    destination = open_destination(root.as_uri())
    destination.deliver(source, KEY, sha)
    before = (root / KEY).stat()

    destination.deliver(source, KEY, sha)

    after = (root / KEY).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_different_content_under_the_same_key_is_never_overwritten(tmp_path, root):
    (root / KEY).parent.mkdir(parents=True)
    (root / KEY).write_bytes(b"someone else's archive")
    source, sha = make_source(tmp_path)

    with pytest.raises(DestinationConflict, match="already exists with different content"):
        open_destination(root.as_uri()).deliver(source, KEY, sha)

    assert (root / KEY).read_bytes() == b"someone else's archive"


def test_exists_tells_whether_the_same_content_is_there(tmp_path, root):
    source, sha = make_source(tmp_path)
    destination = open_destination(root.as_uri())
    assert not destination.exists(KEY, sha)

    destination.deliver(source, KEY, sha)

    assert destination.exists(KEY, sha)


def test_delivery_leaves_no_temporary_file(tmp_path, root):
    source, sha = make_source(tmp_path)

    open_destination(root.as_uri()).deliver(source, KEY, sha)

    assert sorted(p.name for p in (root / KEY).parent.iterdir()) == [Path(KEY).name]


def test_interrupted_copy_leaves_nothing_under_the_key(tmp_path, root, monkeypatch):
    source, sha = make_source(tmp_path)

    def copy_half_then_die(src: Path, out) -> None:
        out.write(src.read_bytes()[:5])
        raise KeyboardInterrupt

    monkeypatch.setattr(durable, "_copy", copy_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        open_destination(root.as_uri()).deliver(source, KEY, sha)

    assert not (root / KEY).exists()
    assert list((root / KEY).parent.iterdir()) == []


def test_leftover_temporary_file_of_a_killed_run_does_not_block_delivery(tmp_path, root):
    (root / KEY).parent.mkdir(parents=True)
    (root / KEY).with_name(f".{Path(KEY).name}.tmp").write_bytes(b"half")
    source, sha = make_source(tmp_path)

    open_destination(root.as_uri()).deliver(source, KEY, sha)

    assert (root / KEY).read_bytes() == source.read_bytes()


def test_key_escaping_the_root_is_refused(tmp_path, root):
    source, sha = make_source(tmp_path)

    with pytest.raises(ValueError, match="bad destination key"):
        open_destination(root.as_uri()).deliver(source, "../outside.zip", sha)


def test_file_destination_needs_an_absolute_path():
    with pytest.raises(UserError, match="file:///absolute/path"):
        open_destination("file://archives/here")


def test_unknown_scheme_names_the_known_ones():
    with pytest.raises(UserError, match=r"unknown destination scheme 'gopher'.*file://"):
        open_destination("gopher://x")
