"""The receiver shown in docs/notifications.md verifies what the export sends."""

from __future__ import annotations

import re
import threading
from http.server import HTTPServer
from pathlib import Path

from notify_receiver import SECRET

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def doc_receiver(folder: Path, monkeypatch) -> dict:
    """Run the doc's code block as a module (not as __main__), its secret file in `folder`."""
    block = re.search(r"### A receiver.*?```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    (folder / "webhook-secret").write_text(SECRET + "\n")
    monkeypatch.chdir(folder)
    namespace: dict = {"__name__": "receiver_doc"}
    exec(compile(block, str(DOC), "exec"), namespace)
    return namespace


def test_doc_receiver_accepts_the_export_webhooks_and_refuses_a_forgery(
    run_cli, with_notify, tmp_path, monkeypatch, capfd
):
    module = doc_receiver(tmp_path, monkeypatch)
    server = HTTPServer(("127.0.0.1", 0), module["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        with_notify(f"notify:\n  - webhook: http://127.0.0.1:{port}/\n    secret: webhook-test\n")
        result = run_cli("export", "run")
        # the receiver's thread prints to sys.stdout, which the CLI runner holds meanwhile
        printed = result.stdout + capfd.readouterr().out
        forged = {
            "webhook-id": "msg_x",
            "webhook-timestamp": "1",
            "webhook-signature": "v1,AAAA",
        }
        assert not module["verified"](forged, b"{}")
    finally:
        server.shutdown()
        server.server_close()

    assert result.exit_code == 0, result.stderr
    assert "HTTP 401" not in result.stderr
    assert len(re.findall(r"msg_[0-9a-f]{32} export\.delivered", printed)) == 8
