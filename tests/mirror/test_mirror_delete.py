"""`delete_after_delivery`: archive, then remove from the PBX, only what is safely elsewhere."""

from __future__ import annotations

from test_mirror_run import delivered_files, recording_key


def stack_recording(sandbox, cdr: dict, index: int = 0) -> dict:
    with sandbox.store.lock:
        return dict(sandbox.store.calllogd.cdrs[cdr["id"]]["recordings"][index])


def test_delete_after_delivery_is_off_by_default(mirror_config, run_cli, add_call, sandbox):
    cdr = add_call()
    assert run_cli("mirror", "run").exit_code == 0
    assert not sandbox.log.find("DELETE", service="call-logd")
    assert stack_recording(sandbox, cdr)["deleted"] is False


def test_delivered_recordings_are_deleted_on_the_stack_once_checked(
    mirror_config, run_cli, add_call, sandbox, status_json
):
    mirror_config(delete_after_delivery=True, keep_on_stack="0s")
    cdr = add_call(recordings=2)

    result = run_cli("mirror", "run")

    assert result.exit_code == 0, result.stderr
    deletes = sandbox.log.find("DELETE", r"/cdr/recordings/media$")
    assert deletes
    assert all(stack_recording(sandbox, cdr, i)["deleted"] for i in (0, 1))
    assert status_json()["acme"]["counts"]["deleted"] >= 2
    assert "deleted on the stack" in result.stdout


def test_nothing_is_deleted_while_a_destination_lacks_a_checked_copy(
    mirror_config, run_cli, add_call, sandbox, tmp_path, mirror_dir
):
    second = tmp_path / "second"
    mirror_config(
        destinations=[f"file://{mirror_dir}", f"file://{second}"],
        delete_after_delivery=False,
    )
    cdr = add_call()
    assert run_cli("mirror", "run").exit_code == 0
    key = recording_key(cdr)
    (second / key).write_bytes(b"RIFF tampered")  # one copy no longer matches its sha256
    mirror_config(
        destinations=[f"file://{mirror_dir}", f"file://{second}"],
        delete_after_delivery=True,
        keep_on_stack="0s",
    )
    sandbox.log.clear()

    result = run_cli("mirror", "run")

    deleted_ids = [
        cdr_id
        for entry in sandbox.log.find("DELETE", r"/cdr/recordings/media$")
        for cdr_id in (entry.body or {}).get("cdr_ids", [])
    ]
    assert cdr["id"] not in deleted_ids
    assert stack_recording(sandbox, cdr)["deleted"] is False
    assert f"cdr {cdr['id']}: kept on the stack" in result.stderr
    assert key in delivered_files(mirror_dir)


def test_recordings_younger_than_keep_on_stack_stay(mirror_config, run_cli, add_call, sandbox):
    mirror_config(delete_after_delivery=True, keep_on_stack="7d")
    cdr = add_call()

    assert run_cli("mirror", "run").exit_code == 0

    assert stack_recording(sandbox, cdr)["deleted"] is False


def test_dry_run_lists_what_would_be_deleted(mirror_config, run_cli, add_call, sandbox):
    cdr = add_call()
    assert run_cli("mirror", "run").exit_code == 0
    mirror_config(delete_after_delivery=True, keep_on_stack="0s")
    sandbox.log.clear()

    result = run_cli("mirror", "run", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert f"would delete cdr {cdr['id']} on the stack" in result.stdout
    assert not sandbox.log.find("DELETE", service="call-logd")
    assert stack_recording(sandbox, cdr)["deleted"] is False
