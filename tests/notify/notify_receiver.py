"""A webhook and ping receiver on 127.0.0.1, started and stopped by the tests.

It records every request and answers from a script of behaviours per path prefix: a status
code, or "hang" (sleep past the client's timeout) for the next requests there, then 204.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The webhook secret of the tests' credentials folder.
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def verify(secret: str, request: Received, tolerance: int = 300) -> dict:
    """What a receiver does (docs/notifications.md): check the signature, then parse."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id = request.headers["webhook-id"]
    stamp = request.headers["webhook-timestamp"]
    assert abs(time.time() - int(stamp)) < tolerance, "stale timestamp"
    signed = f"{msg_id}.{stamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    sent = [s.split(",", 1)[1] for s in request.headers["webhook-signature"].split()]
    assert any(hmac.compare_digest(expected, s) for s in sent), "bad signature"
    return json.loads(request.body)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: dict[str, list[int | str]] = {}  # path prefix -> one per request
        self.hang_seconds = 2.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            "POST",
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )
                    action = receiver.next_action(self.path)
                if action == "hang":
                    time.sleep(receiver.hang_seconds)
                    action = 204
                self.send_response(int(action))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def next_action(self, path: str) -> int | str:
        for prefix, actions in self.script.items():
            if path.startswith(prefix) and actions:
                return actions.pop(0)
        return 204

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def at(self, prefix: str) -> list[Received]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
