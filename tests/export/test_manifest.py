from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wazo_rec_tools.durable import write_json
from wazo_rec_tools.export.manifest import (
    ArchiveInvalid,
    build_manifest,
    check_archive,
    expected_recordings,
)
from wazo_rec_tools.export.windows import window_at

WEEK = window_at(date(2026, 3, 25), "weekly", ZoneInfo("Europe/Paris"))


def recording(n: int, *, deleted: bool = False) -> dict:
    uuid = f"00000000-0000-4000-8000-00000000000{n}"
    return {
        "uuid": uuid,
        "start_time": f"2026-03-24T10:0{n}:00+00:00",
        "end_time": f"2026-03-24T10:0{n}:30+00:00",
        "deleted": deleted,
        "filename": f"2026-03-24T10_0{n}_00UTC-{100 + n}-{uuid}.wav",
    }


def cdr(cdr_id: int, *recordings: dict) -> dict:
    return {
        "id": cdr_id,
        "start": "2026-03-24T10:00:00+00:00",
        "call_direction": "internal",
        "source_user_uuid": "u-alice",
        "source_name": "Alice",
        "source_extension": "1001",
        "destination_user_uuid": "u-bob",
        "destination_name": "Bob",
        "destination_extension": "1002",
        "recordings": list(recordings),
    }


CDRS = [cdr(101, recording(1)), cdr(102, recording(2), recording(3, deleted=True)), cdr(103)]


def media(name: str) -> bytes:
    return ("RIFF" + name).encode() * 50


def make_zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, media(name))
    return path


def entry_names(cdrs: list[dict]) -> list[str]:
    return [r.entry_name for r in expected_recordings(cdrs)]


def test_expected_recordings_are_the_non_deleted_ones_named_like_call_logd():
    assert entry_names(CDRS) == [
        f"101/{recording(1)['filename']}",
        f"102/{recording(2)['filename']}",
    ]


def test_archive_matching_the_cdrs_gives_each_entry_size_and_sha256(tmp_path):
    names = entry_names(CDRS)
    archive = make_zip(tmp_path / "a.zip", names)

    entries = check_archive(archive, expected_recordings(CDRS))

    assert [(e.name, e.size, e.sha256) for e in entries] == [
        (n, len(media(n)), hashlib.sha256(media(n)).hexdigest()) for n in names
    ]


def test_archive_missing_a_recording_is_refused_and_names_it(tmp_path):
    names = entry_names(CDRS)
    archive = make_zip(tmp_path / "a.zip", names[:1])

    with pytest.raises(ArchiveInvalid, match=rf"1 missing \({names[1]}\)"):
        check_archive(archive, expected_recordings(CDRS))


def test_archive_with_an_unexpected_recording_is_refused(tmp_path):
    archive = make_zip(tmp_path / "a.zip", [*entry_names(CDRS), "999/other.wav"])

    with pytest.raises(ArchiveInvalid, match=r"1 unexpected \(999/other.wav\)"):
        check_archive(archive, expected_recordings(CDRS))


def test_file_that_is_not_a_zip_is_refused(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_text('{"error_id": "export-not-done-yet"}')

    with pytest.raises(ArchiveInvalid, match="not a valid zip"):
        check_archive(archive, [])


def test_archive_with_a_corrupt_entry_is_refused(tmp_path):
    names = entry_names(CDRS)
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for name in names:
            out.writestr(name, media(name))
    data = bytearray(archive.read_bytes())
    at = data.index(media(names[0])[:20]) + 10
    data[at] ^= 0xFF
    archive.write_bytes(bytes(data))

    with pytest.raises(ArchiveInvalid, match="is corrupt"):
        check_archive(archive, expected_recordings(CDRS))


def test_manifest_lists_each_recording_with_call_users_file_size_and_sha256(tmp_path):
    names = entry_names(CDRS)
    archive = make_zip(tmp_path / "a.zip", names)
    recordings = expected_recordings(CDRS)
    entries = check_archive(archive, recordings)

    manifest = build_manifest(
        tenant={"uuid": "t1", "slug": "acme", "name": "Acme", "extra": "left out"},
        window=WEEK,
        export={"uuid": "e1", "requested_at": "2026-03-30T00:22:00+00:00", "filename": "x.zip"},
        archive_name="2026-03-23_2026-03-30.zip",
        archive_size=123,
        archive_sha256="ff" * 32,
        recordings=recordings,
        entries=entries,
    )

    assert manifest["tenant"] == {"uuid": "t1", "slug": "acme", "name": "Acme"}
    assert manifest["window"] == {
        "from": "2026-03-23T00:00:00+01:00",
        "until": "2026-03-30T00:00:00+02:00",
        "kind": "weekly",
    }
    assert manifest["archive"] == {
        "file": "2026-03-23_2026-03-30.zip",
        "size": 123,
        "sha256": "ff" * 32,
    }
    assert manifest["recording_count"] == 2
    first = manifest["recordings"][0]
    assert first["cdr_id"] == 101
    assert first["recording_uuid"] == recording(1)["uuid"]
    assert (first["start_time"], first["end_time"]) == (
        recording(1)["start_time"],
        recording(1)["end_time"],
    )
    assert (first["source_user_uuid"], first["destination_user_uuid"]) == ("u-alice", "u-bob")
    assert (first["file"], first["size"], first["sha256"]) == (
        names[0],
        entries[0].size,
        entries[0].sha256,
    )


def test_json_is_written_whole_with_no_temporary_file_left(tmp_path):
    target = tmp_path / "m.json"

    write_json(target, {"a": 1})

    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
