"""`wazo-rec recordings list`: paged /cdr queries, spans, filters, formats (docs/wazo-api.md,
call-logd §7)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import datetime

import pytest
from sandbox_views import CDR_LIST, recorded_cdrs


def _list(run_cli, window, *args):
    result = run_cli("recordings", "list", "--from", window[0], "--until", window[1], *args)
    assert result.exit_code == 0, result.stderr
    return result


def test_list_pages_through_every_cdr_with_recordings(run_cli, sandbox, window):
    sandbox.log.clear()
    rows = json.loads(_list(run_cli, window, "--page-size", "7", "--output", "json").stdout)
    expected = recorded_cdrs(sandbox)
    assert sorted({r["cdr_id"] for r in rows}) == [c["id"] for c in expected]
    assert len(rows) == sum(len(c["recordings"]) for c in expected)
    pages = sandbox.log.find(method="GET", path=CDR_LIST)
    assert len(pages) > 2
    assert all(p.params["limit"] == "7" and p.params["recorded"] == "true" for p in pages)
    assert all(p.params["recurse"] == "true" and p.tenant is None for p in pages)


def test_list_splits_a_long_window_into_consecutive_queries(run_cli, sandbox, window):
    sandbox.log.clear()
    _list(run_cli, window, "--span-days", "10")
    queries = [(p.params["from"], p.params["until"]) for p in sandbox.log.find(path=CDR_LIST)]
    assert len(queries) == 5  # 7 weeks and an hour, in pieces of 10 days
    assert queries[0][0] == window[0] and queries[-1][1] == window[1]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(queries))


def test_list_shows_starts_in_the_local_zone_with_their_offset(
    run_cli, sandbox, window, monkeypatch
):
    monkeypatch.setenv("TZ", "America/Montreal")
    rows = json.loads(_list(run_cli, window, "--output", "json").stdout)
    cdrs = {c["id"]: c for c in recorded_cdrs(sandbox)}
    for row in rows:
        start = datetime.fromisoformat(row["start"])
        assert start.utcoffset().total_seconds() in (-5 * 3600, -4 * 3600)
        assert start == datetime.fromisoformat(cdrs[row["cdr_id"]]["start"])


def test_list_by_tenant_slug_queries_that_tenant_only(run_cli, sandbox, wazo, window):
    acme = wazo.resolve_tenant("acme")["uuid"]
    sandbox.log.clear()
    rows = json.loads(_list(run_cli, window, "--tenant", "acme", "--output", "json").stdout)
    assert rows and {r["tenant_uuid"] for r in rows} == {acme}
    assert {r["cdr_id"] for r in rows} == {c["id"] for c in recorded_cdrs(sandbox, acme)}
    queries = sandbox.log.find(path=CDR_LIST)
    assert all(q.tenant == acme and q.params["recurse"] == "false" for q in queries)


@pytest.mark.parametrize("key", ["username", "email", "uuid"])
def test_list_by_user_filters_on_the_users_uuid(run_cli, sandbox, wazo, window, key):
    user = next(u for u in wazo.confd.users(recurse=True) if u.get("username") and u.get("email"))
    sandbox.log.clear()
    _list(run_cli, window, "--user", user[key])
    queries = sandbox.log.find(path=CDR_LIST)
    assert queries and all(q.params["user_uuid"] == user["uuid"] for q in queries)


def test_list_by_unknown_user_is_one_line(run_cli, window):
    result = run_cli("recordings", "list", "--user", "nobody@nowhere")
    assert result.exit_code == 1
    assert result.stderr == "error: user 'nobody@nowhere' not found by uuid, username or e-mail\n"


def test_list_by_direction_sends_call_direction(run_cli, sandbox, window):
    sandbox.log.clear()
    rows = json.loads(_list(run_cli, window, "--direction", "inbound", "--output", "json").stdout)
    assert rows and {r["direction"] for r in rows} == {"inbound"}
    queries = sandbox.log.find(path=CDR_LIST)
    assert queries and all(q.params["call_direction"] == "inbound" for q in queries)


def test_list_csv_has_a_header_and_one_line_per_recording(run_cli, sandbox, window):
    lines = list(csv.DictReader(io.StringIO(_list(run_cli, window, "--output", "csv").stdout)))
    assert len(lines) == sum(len(c["recordings"]) for c in recorded_cdrs(sandbox))
    assert {line["deleted"] for line in lines} == {"true", "false"}


def test_list_table_has_one_row_per_recording(run_cli, sandbox, window):
    lines = _list(run_cli, window, "--tenant", "globex").stdout.splitlines()
    assert lines[0].split() == [
        "CDR", "START", "DIRECTION", "SOURCE", "DESTINATION", "DURATION", "RECORDING", "DELETED",
    ]  # fmt: skip
    globex = sandbox.store.tenant("globex")["uuid"]
    assert len(lines) - 2 == sum(len(c["recordings"]) for c in recorded_cdrs(sandbox, globex))


def test_list_with_an_unknown_tenant_is_one_line(run_cli, window):
    result = run_cli("recordings", "list", "--tenant", "nope")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: tenant 'nope' not found (by uuid, slug or name) among the tenants this token "
        "can see\n"
    )


def test_list_with_from_after_until_is_refused(run_cli):
    result = run_cli("recordings", "list", "--from", "2024-02-01", "--until", "2024-01-01")
    assert result.exit_code == 1
    assert "must be before --until" in result.stderr
