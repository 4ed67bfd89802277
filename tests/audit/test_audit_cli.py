"""`wazo-rec audit` against the sandbox, with calls of known categories (real HTTP)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import datetime, timedelta

from wazo_rec_tools.sandbox import Sandbox

CDR_LIST = r"/api/call-logd/1\.0/cdr$"


def _audit(run_cli, known_calls, *args, window=None, **kwargs):
    start, end = window or known_calls.window
    return run_cli("audit", "--from", start, "--until", end, *args, **kwargs)


def _json(run_cli, known_calls, *args, window=None):
    result = _audit(run_cli, known_calls, "--output", "json", *args, window=window)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_every_call_lands_in_its_expected_category(run_cli, known_calls):
    data = _json(run_cli, known_calls)

    expected = list(known_calls.expected.values())
    assert data["calls"] == {
        "in_scope": 11,
        "required": 5,
        "ok": expected.count("ok"),
        "missing": expected.count("missing"),
        "deleted": expected.count("deleted"),
        "on_demand": expected.count("on-demand"),
        "unexpected": expected.count("unexpected"),
    }
    assert data["out_of_scope"] == {"unanswered": 1, "not_users": 1, "other_direction": 0}
    listed = {e["cdr_id"]: e["category"] for e in data["exceptions"]}
    assert listed == {
        cdr_id: category
        for cdr_id, category in known_calls.expected.items()
        if category in ("missing", "unexpected")
    }


def test_exceptions_show_the_local_start_the_parties_and_the_deciding_flag(
    run_cli, known_calls, monkeypatch
):
    monkeypatch.setenv("TZ", "America/Montreal")
    data = _json(run_cli, known_calls)

    first_missing = next(e for e in data["exceptions"] if e["category"] == "missing")
    cdr_id = first_missing["cdr_id"]
    start = datetime.fromisoformat(first_missing["start"])
    assert start.utcoffset() == timedelta(hours=-5)
    assert start == datetime.fromisoformat(known_calls.starts[cdr_id])
    assert first_missing["source"]["user"] == known_calls.alice.username
    assert first_missing["reasons"] == [
        {
            "subject": known_calls.alice.username,
            "field": "call_record_outgoing_external_enabled",
            "value": True,
            "origin": "policy: rule 1",
        }
    ]


def test_a_call_through_a_group_is_judged_by_the_groups_toggle(run_cli, known_calls):
    data = _json(run_cli, known_calls)

    through_support = next(e for e in data["exceptions"] if e["via"] == "group Support")
    assert through_support["category"] == "unexpected"
    assert {
        "subject": "group Support",
        "field": "dtmf_record_toggle",
        "value": False,
        "origin": "policy: groups items",
    } in through_support["reasons"]


def test_audit_sends_not_one_mutating_request(run_cli, sandbox, known_calls):
    sandbox.log.clear()

    result = _audit(run_cli, known_calls, "--output", "html")

    assert result.exit_code == 0, result.stderr
    sessions = {("POST", "/api/auth/0.1/token")}
    writes = [
        (entry.method, entry.path)
        for entry in sandbox.log
        if entry.method not in ("GET", "HEAD")
        and (entry.method, entry.path) not in sessions
        and not (entry.method == "DELETE" and entry.path.startswith("/api/auth/0.1/token/"))
    ]
    assert writes == []
    assert sandbox.log.find(method="GET", path=CDR_LIST)
    assert sandbox.log.find(method="GET", path=r"/api/confd/1\.1/users$")


def test_cdrs_are_read_in_pages_and_spans_like_recordings_list(run_cli, sandbox, known_calls):
    sandbox.log.clear()

    _json(run_cli, known_calls, "--span-days", "2", "--page-size", "3")

    pages = sandbox.log.find(method="GET", path=CDR_LIST)
    assert all(p.params["limit"] == "3" and p.params["recurse"] == "true" for p in pages)
    assert "recorded" not in pages[0].params  # every call, recorded or not
    spans = list(dict.fromkeys((p.params["from"], p.params["until"]) for p in pages))
    assert len(spans) == 4  # 7 days in pieces of 2
    assert spans[0][0] == known_calls.window[0] and spans[-1][1] == known_calls.window[1]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert len(pages) > len(spans)  # 13 calls, 3 per page: several pages per span


def test_detailed_exitcode_is_2_when_a_call_is_missing_or_unexpected(run_cli, known_calls):
    result = _audit(run_cli, known_calls, "--detailed-exitcode")

    assert result.exit_code == 2, result.stderr
    assert "Result: 2 missing and 2 unexpected call(s)." in result.stdout


def test_detailed_exitcode_is_0_when_every_call_is_in_order(run_cli, known_calls):
    first = next(iter(known_calls.starts.values()))  # the first call is ok
    window = (first, (datetime.fromisoformat(first) + timedelta(minutes=30)).isoformat())

    result = _audit(run_cli, known_calls, "--detailed-exitcode", window=window)

    assert result.exit_code == 0, result.stderr
    assert "Result: no call was missing or unexpected." in result.stdout


def test_without_detailed_exitcode_findings_exit_0(run_cli, known_calls):
    assert _audit(run_cli, known_calls).exit_code == 0


def test_text_lists_the_summary_and_every_missing_and_unexpected_call(run_cli, known_calls):
    result = _audit(run_cli, known_calls)

    out = result.stdout
    assert "USER" in out and "UNEXPECTED" in out and "REQUIREMENT" in out
    assert "Missing (2):" in out and "Unexpected (2):" in out
    for cdr_id, category in known_calls.expected.items():
        if category in ("missing", "unexpected"):
            assert f"\n{cdr_id} " in out
    assert "via group Support" in out
    assert Sandbox.ADMIN_PASSWORD not in out + result.stderr


def test_csv_has_one_row_per_missing_or_unexpected_call(run_cli, known_calls):
    result = _audit(run_cli, known_calls, "--output", "csv")

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted((int(r["cdr_id"]), r["category"]) for r in rows) == sorted(
        (cdr_id, c) for cdr_id, c in known_calls.expected.items() if c in ("missing", "unexpected")
    )
    assert all(r["flags"] for r in rows)


def test_user_filter_queries_that_user_and_shows_only_their_rows(run_cli, sandbox, known_calls):
    sandbox.log.clear()

    data = _json(run_cli, known_calls, "--user", known_calls.alice.username)

    pages = sandbox.log.find(method="GET", path=CDR_LIST)
    assert pages and all(p.params["user_uuid"] == known_calls.alice.uuid for p in pages)
    assert {row["user"] for row in data["summary"]} == {known_calls.alice.username}
    assert data["user"] == known_calls.alice.username
    assert data["calls"]["missing"] == 1 and data["calls"]["deleted"] == 1


def test_tenant_filter_reads_that_tenant_only(run_cli, sandbox, known_calls):
    sandbox.log.clear()

    data = _json(run_cli, known_calls, "--tenant", "acme")

    pages = sandbox.log.find(method="GET", path=CDR_LIST)
    assert all(
        p.tenant == known_calls.tenant_uuid and p.params["recurse"] == "false" for p in pages
    )
    assert [t["name"] for t in data["tenants"]] == ["acme"]
    assert data["calls"]["in_scope"] == 11


def test_the_report_says_which_flags_come_from_the_stack(run_cli, known_calls):
    data = _json(run_cli, known_calls, "--tenant", "globex")

    assert set(data["requirement_from_stack"].values()) == {20}  # every globex user, every field
    text = _audit(run_cli, known_calls, "--tenant", "globex").stdout
    assert "not managed by it, so taken from the stack" in text


def test_the_policys_users_have_no_field_from_the_stack(run_cli, known_calls):
    data = _json(run_cli, known_calls, "--tenant", "acme")

    assert set(data["requirement_from_stack"].values()) == {0}
    assert {row["requirement"] for row in data["summary"]} == {"policy"}


def test_no_policy_holds_the_calls_against_the_stack(run_cli, known_calls, config_file):
    (config_file.parent / "policy.yml").unlink()

    data = _json(run_cli, known_calls, "--no-policy", "--tenant", "acme")

    assert data["policy"] is None
    assert {row["requirement"] for row in data["summary"]} == {"stack"}


def test_a_missing_policy_file_is_one_line(run_cli, known_calls, config_file):
    (config_file.parent / "policy.yml").unlink()

    result = _audit(run_cli, known_calls)

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "policy.yml" in result.stderr


def test_a_policy_naming_an_unknown_user_is_a_located_error(run_cli, known_calls, config_file):
    path = config_file.parent / "policy.yml"
    path.write_text(path.read_text().replace(known_calls.carol.username, "nobody.here"))

    result = _audit(run_cli, known_calls)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:")
    assert "unknown user 'nobody.here'" in result.stderr


def test_a_window_that_ends_before_it_starts_is_one_line(run_cli, known_calls):
    start, end = known_calls.window

    result = _audit(run_cli, known_calls, window=(end, start))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: --from ")


def test_from_and_until_are_required_unless_last_week(run_cli):
    result = run_cli("audit", "--from", "2025-03-03")

    assert result.exit_code == 1
    assert "--until" in result.stderr


def test_last_week_audits_the_last_complete_monday_to_monday(run_cli, sandbox, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    sandbox.log.clear()

    result = run_cli("audit", "--last-week", "--no-policy", "--output", "json")

    assert result.exit_code == 0, result.stderr
    window = json.loads(result.stdout)["window"]
    start, end = (datetime.fromisoformat(window[k]) for k in ("from", "until"))
    assert (start.weekday(), start.hour, end.weekday(), end.hour) == (0, 0, 0, 0)
    assert (end - start).days in (6, 7)  # 7 days, give or take a DST hour
    assert end <= datetime.now(start.tzinfo) < end + timedelta(days=7)
    page = sandbox.log.find(method="GET", path=CDR_LIST)[0]
    assert (page.params["from"], page.params["until"]) == (window["from"], window["until"])


def test_output_file_holds_the_report_and_stdout_stays_empty(run_cli, known_calls, tmp_path):
    target = tmp_path / "audit.html"

    result = _audit(run_cli, known_calls, "--output", "html", "-o", str(target))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert f"{target}: Result: 2 missing and 2 unexpected call(s)." in result.stderr


def test_a_transient_503_on_a_cdr_page_is_retried_and_changes_nothing(
    run_cli, sandbox, known_calls, no_backoff
):
    sandbox.faults.add(status=503, method="GET", path=CDR_LIST, count=1)

    data = _json(run_cli, known_calls)

    assert data["findings"] == 4


def test_a_stack_failing_mid_read_exits_1_and_writes_no_report(
    run_cli, sandbox, known_calls, tmp_path, no_backoff
):
    target = tmp_path / "audit.json"
    sandbox.faults.add(status=500, method="GET", path=CDR_LIST)

    result = _audit(run_cli, known_calls, "--output", "json", "-o", str(target))

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "500" in result.stderr
    assert not target.exists() and list(tmp_path.glob(".audit.json*")) == []


def test_no_output_format_shows_a_secret(run_cli, known_calls, tmp_path):
    for output in ("text", "json", "csv", "html"):
        result = _audit(run_cli, known_calls, "--output", output)
        assert Sandbox.ADMIN_PASSWORD not in result.stdout + result.stderr


def test_the_policys_warnings_are_on_stderr_and_in_the_json(run_cli, known_calls, config_file):
    path = config_file.parent / "policy.yml"
    text = path.read_text().replace(
        f"[{known_calls.carol.username}]", f"[{known_calls.carol.username}, 'nobody*']"
    )
    path.write_text(text)

    result = _audit(run_cli, known_calls, "--output", "json")

    assert result.exit_code == 0, result.stderr
    assert "warning: pattern 'nobody*' matches no user" in result.stderr
    assert any("nobody*" in line for line in json.loads(result.stdout)["warnings"])


def test_a_tenant_admin_audits_their_own_tenant(run_cli, known_calls, config_file, tmp_path):
    config = tmp_path / "tenant-admin.yml"
    config.write_text(config_file.read_text().replace("username: root", "username: admin-acme"))

    result = _audit(run_cli, known_calls, "--output", "json", config=config)

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [t["name"] for t in data["tenants"]] == ["acme"]
    assert data["findings"] == 4


def test_an_unknown_tenant_is_one_line(run_cli, known_calls):
    result = _audit(run_cli, known_calls, "--tenant", "nowhere")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: tenant 'nowhere' not found")
