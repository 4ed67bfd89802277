"""`wazo-rec recordings delete`: confirmation, dry run, all-or-nothing batches (docs/wazo-api.md,
call-logd §8)."""

from __future__ import annotations

import json

import pytest
from sandbox_views import BULK_DELETE, recorded_cdrs

from wazo_rec_tools.wazo.calllogd import CallLogdClient

ITEM_DELETE = r"/api/call-logd/1\.0/cdr/\d+/recordings/[^/]+/media$"


def _acme(sandbox) -> str:
    return sandbox.store.tenant("acme")["uuid"]


def _live_cdr_ids(sandbox, tenant: str) -> list[int]:
    return [
        c["id"]
        for c in recorded_cdrs(sandbox, tenant)
        if any(not r["deleted"] for r in c["recordings"])
    ]


def _deleted(sandbox, cdr_id: int) -> list[bool]:
    return [r["deleted"] for r in sandbox.store.calllogd.cdrs[cdr_id]["recordings"]]


def _bulk(run_cli, window, *args, input=None):
    return run_cli(
        "recordings", "delete", "--from", window[0], "--until", window[1], "--tenant", "acme",
        *args, input=input,
    )  # fmt: skip


def _snapshot(sandbox) -> dict[int, list[bool]]:
    return {i: _deleted(sandbox, i) for i in sandbox.store.calllogd.cdrs}


def test_delete_refuses_off_a_terminal_without_yes(run_cli, sandbox, window):
    before = _snapshot(sandbox)
    sandbox.log.clear()
    result = _bulk(run_cli, window)
    assert result.exit_code == 1
    assert "refusing to delete" in result.stderr and "--yes" in result.stderr
    assert sandbox.log.find(method="DELETE", service="call-logd") == []
    assert _snapshot(sandbox) == before


def test_delete_dry_run_shows_what_would_go_and_deletes_nothing(run_cli, sandbox, window):
    ids = _live_cdr_ids(sandbox, _acme(sandbox))
    sandbox.log.clear()
    result = _bulk(run_cli, window, "--dry-run", "--output", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True
    assert sorted({r["cdr_id"] for r in plan["recordings"]}) == ids
    assert sandbox.log.find(method="DELETE", service="call-logd") == []


def test_delete_with_yes_goes_in_batches_of_cdrs(run_cli, sandbox, window):
    ids = _live_cdr_ids(sandbox, _acme(sandbox))
    sandbox.log.clear()
    result = _bulk(run_cli, window, "--yes", "--batch-size", "4")
    assert result.exit_code == 0, result.stderr
    batches = sandbox.log.find(method="DELETE", path=BULK_DELETE)
    assert [b.body["cdr_ids"] for b in batches] == [ids[i : i + 4] for i in range(0, len(ids), 4)]
    assert all(b.tenant == _acme(sandbox) for b in batches)
    assert all(all(_deleted(sandbox, i)) for i in ids)
    assert f"({len(batches)}/{len(batches)} batches)" in result.stdout


def test_a_failed_batch_deletes_nothing_of_it_and_stops_the_run(run_cli, sandbox, window):
    ids = _live_cdr_ids(sandbox, _acme(sandbox))
    before = _snapshot(sandbox)
    sandbox.faults.add(status=500, method="DELETE", path=BULK_DELETE, count=1)
    sandbox.log.clear()
    result = _bulk(run_cli, window, "--yes", "--batch-size", "5")
    assert result.exit_code == 1
    assert len(sandbox.log.find(method="DELETE", path=BULK_DELETE)) == 1
    assert _snapshot(sandbox) == before
    assert f"batch 1/{-(-len(ids) // 5)} failed (CDRs {ids[0]}..{ids[4]}" in result.stdout
    assert "-> 500" in result.stdout and "nothing of this batch was deleted" in result.stdout
    assert "deleted 0 of" in result.stdout


def test_a_failed_second_batch_keeps_the_first_deleted(run_cli, sandbox, window, monkeypatch):
    ids = _live_cdr_ids(sandbox, _acme(sandbox))
    before = _snapshot(sandbox)
    real = CallLogdClient.delete_recordings
    calls = []

    def fail_from_the_second(self, cdr_ids, *, tenant=None):
        calls.append(cdr_ids)
        if len(calls) == 2:
            sandbox.faults.add(status=500, method="DELETE", path=BULK_DELETE, count=1)
        return real(self, cdr_ids, tenant=tenant)

    monkeypatch.setattr(CallLogdClient, "delete_recordings", fail_from_the_second)
    result = _bulk(run_cli, window, "--yes", "--batch-size", "3", "--output", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    statuses = [b["status"] for b in report["batches"]]
    assert statuses[:2] == ["deleted", "failed"]
    assert set(statuses[2:]) == {"not-attempted"}
    assert len(calls) == 2
    assert all(all(_deleted(sandbox, i)) for i in ids[:3])
    assert all(_deleted(sandbox, i) == before[i] for i in ids[3:])


def test_delete_one_recording_uses_the_item_endpoint(run_cli, sandbox):
    cdr = next(
        c for c in recorded_cdrs(sandbox) if [r["deleted"] for r in c["recordings"]] == [False] * 2
    )
    first, _ = cdr["recordings"]
    sandbox.log.clear()
    result = run_cli("recordings", "delete", str(cdr["id"]), first["uuid"], "--yes")
    assert result.exit_code == 0, result.stderr
    (call,) = sandbox.log.find(method="DELETE", service="call-logd")
    assert call.path.endswith(f"/cdr/{cdr['id']}/recordings/{first['uuid']}/media")
    assert _deleted(sandbox, cdr["id"]) == [True, False]


def test_delete_a_recording_already_deleted_has_nothing_to_do(run_cli, sandbox):
    cdr = next(c for c in recorded_cdrs(sandbox) if all(r["deleted"] for r in c["recordings"]))
    sandbox.log.clear()
    result = run_cli("recordings", "delete", str(cdr["id"]), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "nothing to delete" in result.stdout
    assert sandbox.log.find(method="DELETE", service="call-logd") == []


def test_delete_an_unknown_cdr_is_one_line(run_cli):
    result = run_cli("recordings", "delete", "999999", "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: call-logd: GET /cdr/999999 -> 404")
    assert len(result.stderr.splitlines()) == 1


@pytest.fixture
def on_a_terminal(monkeypatch):
    monkeypatch.setattr("wazo_rec_tools.cli.recordings.is_tty", lambda: True)


def test_delete_on_a_terminal_asks_and_a_no_deletes_nothing(
    run_cli, sandbox, window, on_a_terminal
):
    before = _snapshot(sandbox)
    result = _bulk(run_cli, window, input="n\n")
    assert result.exit_code == 1
    assert "Delete these" in result.stderr and "Aborted." in result.stderr
    assert _snapshot(sandbox) == before


def test_delete_on_a_terminal_goes_on_after_a_yes(run_cli, sandbox, window, on_a_terminal):
    ids = _live_cdr_ids(sandbox, _acme(sandbox))
    result = _bulk(run_cli, window, input="y\n")
    assert result.exit_code == 0, result.stderr
    assert all(all(_deleted(sandbox, i)) for i in ids)
