"""Ping URLs for healthchecks, cronitor and Uptime Kuma; the log tail; Apprise (real HTTP)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wazo_rec_tools.jobs.pings import MAX_LOG_BYTES, log_tail, ping_url


@pytest.mark.parametrize(
    ("base", "suffix", "expected"),
    [
        ("https://hc-ping.com/5d1c", "/start", "https://hc-ping.com/5d1c/start"),
        ("https://hc-ping.com/5d1c/", "/fail", "https://hc-ping.com/5d1c/fail"),
        ("https://hc-ping.com/5d1c", "", "https://hc-ping.com/5d1c"),
        ("https://cronitor.link/p/k/wazo", "/run", "https://cronitor.link/p/k/wazo/run"),
        (
            "https://kuma.example/api/push/tok",
            "?status=down&msg=failed",
            "https://kuma.example/api/push/tok?status=down&msg=failed",
        ),
        (
            "https://hc.example/ping/abc?rid=1",
            "/start",
            "https://hc.example/ping/abc/start?rid=1",
        ),
        (
            "https://kuma.example/api/push/tok?msg=x",
            "&status=up",
            "https://kuma.example/api/push/tok?msg=x&status=up",
        ),
    ],
)
def test_state_suffix_goes_where_the_url_shape_wants_it(base, suffix, expected):
    assert ping_url(base, suffix) == expected


def test_log_tail_keeps_the_end_of_the_log_within_100_000_bytes():
    lines = [f"line {i:06d} " + "x" * 90 for i in range(5000)]

    tail = log_tail(lines)

    assert len(tail) <= MAX_LOG_BYTES
    assert tail.endswith(lines[-1].encode())
    assert tail.startswith(b"line ")  # whole lines only


def test_kuma_style_entry_pings_only_the_states_it_names(run_cli, with_notify, receiver, sandbox):
    with_notify(
        "notify:\n"
        f"  - healthchecks: {receiver.url}/api/push/tok\n"
        "    start: null\n"
        "    success: '?status=up&msg=OK'\n"
        "    fail: '?status=down&msg=failed'\n"
    )

    run_cli("export", "run")

    assert [r.path for r in receiver.requests] == ["/api/push/tok?status=up&msg=OK"]


def test_apprise_entry_sends_job_failed_only(run_cli, with_notify, receiver, sandbox):
    port = receiver.url.rsplit(":", 1)[1]
    with_notify(f"notify:\n  - apprise: json://127.0.0.1:{port}/apprise\n")

    sandbox.store.calllogd.fail_next_exports = 1

    assert run_cli("export", "run").exit_code == 1
    assert run_cli("export", "run").exit_code == 0  # delivered: nothing for this entry

    (sent,) = receiver.at("/apprise")
    message = json.loads(sent.body)
    assert "job.failed" in message["title"]
    assert "ended in error" in message["message"]


def test_status_lists_the_hooks_and_checks_them_without_a_call(
    run_cli, with_notify, receiver, sandbox, tmp_path
):
    with_notify(
        "notify:\n"
        f"  - webhook: {receiver.url}/hook?token=abc\n"
        "    secret: webhook-test\n"
        "    events: [export.failed]\n"
        f"  - webhook: {receiver.url}/other\n"
        "    secret: missing-secret\n"
        f"  - healthchecks: {receiver.url}/ping/5d1c0123456789\n"
        f"metrics: {tmp_path / 'wazo.prom'}\n"
    )

    result = run_cli("status", "--output", "json")

    assert result.exit_code == 1  # a webhook without its secret would stop every job
    hooks = json.loads(result.stdout)["notify"]
    assert [(h["kind"], h["ok"]) for h in hooks] == [
        ("webhook", True),
        ("webhook", False),
        ("healthchecks", True),
    ]
    assert hooks[0]["target"] == f"{receiver.url}/hook?…"  # never the query's token
    assert hooks[0]["follows"] == ["export.failed"]
    assert "credential 'missing-secret'" in hooks[1]["problem"]
    assert hooks[2]["target"] == f"{receiver.url}/ping/5d1…"
    assert hooks[2]["follows"] == ["export", "mirror", "sync", "audit"]
    assert receiver.requests == []
    text = run_cli("status").stdout
    assert f"notify     ok    webhook {receiver.url}/hook?…: export.failed" in text


def test_apprise_is_imported_only_by_an_entry_that_uses_it():
    code = (
        "import sys\n"
        "import wazo_rec_tools.cli, wazo_rec_tools.jobs.shell, wazo_rec_tools.config\n"
        "print('apprise' in sys.modules)\n"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.stdout.strip() == "False", result.stderr
