"""`export skip`, and what `export run` and `export status` say about time left behind."""

from __future__ import annotations

import json

from observed import EXPORT_POST, last_complete_weeks


def test_a_run_that_leaves_a_window_behind_exits_1_and_names_it(run_cli, sandbox):
    sandbox.faults.add(status=500, method="POST", path=EXPORT_POST, count=1)

    result = run_cli("export", "run", "--tenant", "acme")

    assert result.exit_code == 1
    (left,) = [line for line in result.stderr.splitlines() if line.startswith("error: left due:")]
    start, end = last_complete_weeks(4)[0]
    assert f"acme {start:%Y-%m-%d}_{end:%Y-%m-%d} (pending)" in left
    assert "500" in left


def test_status_shows_each_pending_window_and_why(run_cli, sandbox):
    sandbox.faults.add(status=500, method="POST", path=EXPORT_POST, count=1)
    run_cli("export", "run", "--tenant", "acme")

    text = run_cli("export", "status").stdout
    status = json.loads(run_cli("export", "status", "--output", "json").stdout)

    (pending,) = status["pending"]
    assert pending["status"] == "planned"
    assert "the launch got no answer" in pending["why"] and "500" in pending["why"]
    start, end = last_complete_weeks(4)[0]
    assert pending["from"] == start.isoformat()
    assert f"pending: acme {start:%Y-%m-%d}_{end:%Y-%m-%d} (planned): the launch got" in text


def test_skip_gives_up_the_time_journals_the_reason_and_the_next_run_exits_0(
    run_cli, sandbox, status_json
):
    sandbox.faults.add(status=500, method="POST", path=EXPORT_POST, count=1)
    run_cli("export", "run", "--tenant", "acme")
    start, end = last_complete_weeks(4)[0]

    skipped = run_cli(
        "export",
        "skip",
        "--tenant",
        "acme",
        "--until",
        end.isoformat(),
        "--reason",
        "storage lost that week",
    )

    assert skipped.exit_code == 0, skipped.stderr
    assert f"{start:%Y-%m-%d}_{end:%Y-%m-%d}" in skipped.stdout
    status = json.loads(run_cli("export", "status", "--output", "json").stdout)
    assert status["pending"] == []
    (skip,) = status["skips"]
    assert (skip["tenant_slug"], skip["reason"], skip["windows"]) == (
        "acme",
        "storage lost that week",
        1,
    )
    assert "given up: acme until" in run_cli("export", "status").stdout
    again = run_cli("export", "run", "--tenant", "acme")
    assert again.exit_code == 0, again.stderr
    assert "nothing to do" in again.stdout


def test_skip_of_future_time_is_refused_and_changes_nothing(run_cli, state_dir):
    result = run_cli("export", "skip", "--tenant", "acme", "--until", "2999-01-01", "--reason", "x")

    assert result.exit_code == 1
    assert "in the future" in result.stderr
    assert not (state_dir / "journal.sqlite3").exists()


def test_a_time_in_a_dst_gap_is_refused_naming_the_option(run_cli):
    result = run_cli("export", "run", "--from", "2026-03-29T02:30", "--until", "2026-03-30")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: --from: 2026-03-29T02:30:00 does not exist in ")
    assert "Europe/Paris" in result.stderr
    assert len(result.stderr.splitlines()) == 1
