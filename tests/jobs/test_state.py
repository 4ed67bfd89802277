import os
import sqlite3
import stat

import pytest

from wazo_rec_tools.jobs import state
from wazo_rec_tools.jobs.lock import JobLock, RunLocked
from wazo_rec_tools.jobs.state import LATEST, Migration, StateError, open_state, schema_version


def test_new_state_database_is_at_the_latest_version_and_private(tmp_path):
    conn = open_state(tmp_path / "state")
    assert schema_version(conn) == LATEST
    mode = stat.S_IMODE((tmp_path / "state" / state.DB_NAME).stat().st_mode)
    assert mode == 0o640
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o750


def test_older_database_is_migrated_step_by_step(tmp_path, monkeypatch):
    open_state(tmp_path).close()
    seen = []

    def step(conn: sqlite3.Connection) -> None:
        seen.append(schema_version(conn))
        conn.execute("CREATE TABLE added (x INTEGER)")

    monkeypatch.setattr(
        state, "MIGRATIONS", (*state.MIGRATIONS, Migration(LATEST + 1, "test", step))
    )
    monkeypatch.setattr(state, "LATEST", LATEST + 1)
    conn = open_state(tmp_path)
    assert seen == [LATEST]
    assert schema_version(conn) == LATEST + 1
    conn.execute("SELECT x FROM added")
    conn.close()
    assert seen == [LATEST]  # reopening does not run it again
    open_state(tmp_path).close()
    assert seen == [LATEST]


def test_failed_migration_leaves_the_previous_version(tmp_path, monkeypatch):
    open_state(tmp_path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(
        state, "MIGRATIONS", (*state.MIGRATIONS, Migration(LATEST + 1, "broken", broken))
    )
    monkeypatch.setattr(state, "LATEST", LATEST + 1)
    with pytest.raises(RuntimeError):
        open_state(tmp_path)
    monkeypatch.undo()
    conn = open_state(tmp_path)
    assert schema_version(conn) == LATEST
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchall()


def test_database_from_a_newer_tool_is_refused(tmp_path):
    conn = open_state(tmp_path)
    conn.execute(f"PRAGMA user_version={LATEST + 5}")
    conn.close()
    with pytest.raises(StateError, match="newer than this wazo-rec-tools knows"):
        open_state(tmp_path)


def test_missing_database_is_an_error_when_not_creating(tmp_path):
    with pytest.raises(StateError, match="no job has run yet"):
        open_state(tmp_path, create=False)


def test_job_locks_are_per_job_and_name_the_holder(tmp_path):
    held = r"another policy apply is in progress \(pid \d+\)"
    with (
        JobLock(tmp_path, "sync", "policy apply"),
        JobLock(tmp_path, "export"),
        pytest.raises(RunLocked, match=held),
    ):
        JobLock(tmp_path, "sync", "policy apply").acquire()
    JobLock(tmp_path, "sync").acquire().release()


def test_every_file_of_the_state_database_is_private_whatever_the_umask(tmp_path):
    import os

    previous = os.umask(0)
    try:
        conn = open_state(tmp_path / "state")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        files = sorted((tmp_path / "state").iterdir())
        assert {f.name for f in files} >= {state.DB_NAME, f"{state.DB_NAME}-wal"}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0, path.name
        conn.close()
    finally:
        os.umask(previous)


def test_a_state_directory_left_to_root_by_a_run_by_hand_says_how_to_run_as_the_unit():
    import shutil
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp(prefix="wazo-rec-test-"))
    try:
        root.chmod(0o755)
        state_dir = root / "state"
        open_state(state_dir).close()  # by the test's user: root in CI containers
        for path in (state_dir, *state_dir.iterdir()):
            # root bypasses modes (checked as nobody); another user meets a read-only folder
            path.chmod(0o755 if os.getuid() == 0 else 0o555 if path.is_dir() else 0o444)

        (message,) = _in_child_as_nobody(lambda: open_state(state_dir))

        assert message.startswith(
            f"StateError: the state directory {state_dir} is not writable by this run ("
        )
        if os.getuid() == 0:
            assert "(nobody (uid 65534); it belongs to root (uid 0))" in message
        assert "systemd-run --pty" in message and "DynamicUser=yes" in message
        assert "runuser -u" in message
    finally:
        (root / "state").chmod(0o755)
        shutil.rmtree(root)


def _in_child_as_nobody(action) -> list[str]:
    import json

    if os.getuid() != 0:
        try:
            action()
        except Exception as exc:
            return [f"{type(exc).__name__}: {exc}"]
        return ["opened"]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            try:
                action()
                found = ["opened"]
            except BaseException as exc:
                found = [f"{type(exc).__name__}: {exc}"]
            os.write(write_end, json.dumps(found).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)
