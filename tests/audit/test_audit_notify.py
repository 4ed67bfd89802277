"""With hooks configured the audit is a job of the shell: `audit.failed` and a failed job."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_audit_cli import _audit

SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtYXVkaXQtdGVzdHM="


@pytest.fixture
def hook_server():
    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"] or 0))
            received.append((self.path, json.loads(body) if body else {}))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_findings_send_audit_failed_and_fail_the_timer_run(
    run_cli, known_calls, config_file, hook_server, tmp_path, monkeypatch
):
    url, received = hook_server
    folder = tmp_path / "credentials"
    folder.mkdir()
    (folder / "webhook-audit").write_text(SECRET + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(folder))
    config_file.write_text(
        config_file.read_text()
        + f"notify:\n  - webhook: {url}/hook\n    secret: webhook-audit\n"
        + f"  - healthchecks: {url}/ping\n    jobs: [audit]\n"
    )

    result = _audit(run_cli, known_calls, "--output", "json", "--detailed-exitcode")

    assert result.exit_code == 2
    events = [body for path, body in received if path == "/hook"]
    failed = next(e for e in events if e["type"] == "audit.failed")
    expected = list(known_calls.expected.values())
    assert failed["data"]["counts"]["missing"] == expected.count("missing")
    assert {c["cdr_id"] for c in failed["data"]["calls"]} == {
        cdr
        for cdr, category in known_calls.expected.items()
        if category in ("missing", "unexpected")
    }
    assert any(e["type"] == "job.failed" for e in events)
    assert [p for p, _ in received if p.startswith("/ping")] == ["/ping/start", "/ping/fail"]
    assert (
        json.loads(result.stdout)["findings"]
        == failed["data"]["counts"]["missing"] + (failed["data"]["counts"]["unexpected"])
    )
