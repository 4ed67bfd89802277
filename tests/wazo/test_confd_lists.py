"""Whole confd lists: one request without `limit`, parsed as a stream, trimmed as items arrive."""

from __future__ import annotations

import json
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ijson
import pytest

from tests.support import connect
from wazo_rec_tools.config import StackConfig
from wazo_rec_tools.sandbox import Sandbox, SeedSpec
from wazo_rec_tools.wazo.confd import UUID_CHUNK
from wazo_rec_tools.wazo.http import ApiError, HttpClient, make_session
from wazo_rec_tools.wazo.stack import Wazo

USERS = r"/api/confd/1\.1/users$"


def test_read_all_is_one_request_without_limit(sandbox, wazo):
    sandbox.log.clear()
    users = wazo.confd.read_all("users", dict, recurse=True)
    assert len(users) == len(sandbox.store.confd.users)
    listed = sandbox.log.find(method="GET", path=USERS)
    assert [r.params for r in listed] == [{"recurse": "true"}]


def test_count_is_a_limit_1_probe(sandbox, wazo):
    acme = sandbox.store.tenant("acme")["uuid"]
    sandbox.log.clear()
    assert wazo.confd.count("users", tenant=acme) == 20
    [probe] = sandbox.log.find(method="GET", path=USERS)
    assert probe.params == {"recurse": "false", "limit": "1"} and probe.tenant == acme


def test_trim_sees_each_full_item_nested_groups_and_members_included(sandbox, wazo):
    users = wazo.confd.read_all("users", dict, recurse=True)
    member = next(u for u in users if u["groups"])
    assert {"uuid", "id", "name"} <= set(member["groups"][0])
    groups = wazo.confd.read_all("groups", dict, recurse=True)
    members = {m["uuid"] for g in groups for m in g["members"]["users"]}
    assert member["uuid"] in members


def test_users_by_uuid_reads_only_those_in_chunks_that_keep_urls_short(tmp_path):
    with (
        Sandbox(SeedSpec(users=260, tenants=1, weeks=0), spool_dir=tmp_path) as sb,
        connect(sb) as wazo,
    ):
        tenant = sb.store.tenant("acme")["uuid"]
        wanted = sorted(u["uuid"] for u in sb.store.confd.users.values())[:230]
        sent: list = []
        wazo.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request))
        found = wazo.confd.users_by_uuid(wanted, lambda u: u["uuid"], tenant=tenant)
        logged = sb.log.find(method="GET", path=USERS)
    assert sorted(found) == wanted
    assert len(logged) == -(-230 // UUID_CHUNK) == 12
    assert sorted(u for r in logged for u in r.params["uuid"].split(",")) == wanted
    assert all(len(r.params["uuid"].split(",")) <= 20 for r in logged)  # the Swagger's maxItems
    assert all("limit" not in r.params and r.tenant == tenant for r in logged)
    assert all(len(r.url) < 1024 for r in sent if "/users" in r.url)


def test_the_read_timeout_stretches_with_the_expected_size(sandbox):
    with Wazo(StackConfig(url=sandbox.url, timeout=0.3), retries=0) as wazo:
        wazo.login(Sandbox.ADMIN_USERNAME, Sandbox.ADMIN_PASSWORD).tokens.get()
        sandbox.faults.add(delay=0.8, method="GET", path=USERS, count=2)
        with pytest.raises(ApiError, match=r"no answer from .* within 0\.3s"):
            wazo.confd.read_all("users", dict, recurse=True, expected=0)
        # 0.3 s + 10 ms for each of the 100 items announced by a probe
        assert len(wazo.confd.read_all("users", dict, recurse=True, expected=100)) == 40


# -- a server that answers exactly the bytes a test gives it -------------------------------------


@contextmanager
def serving(answers: Callable[[int], tuple[bytes, int]]) -> Iterator[HttpClient]:
    """A local server: `answers(n)` gives the n-th request's body and the Content-Length sent."""
    calls = [0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body, length = answers(calls[0])
            calls[0] += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(length))
            self.end_headers()
            view = memoryview(body)
            for start in range(0, len(view), 65536):
                self.wfile.write(view[start : start + 65536])
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        yield HttpClient("confd", url, make_session(True), timeout=5, backoff=0.01)
    finally:
        server.shutdown()
        server.server_close()


def listing(count: int) -> bytes:
    items = [{"uuid": f"u{i}", "padding": "x" * 2000, "groups": [{"id": i}]} for i in range(count)]
    return json.dumps({"items": items, "total": count}).encode()


def test_a_list_answer_is_parsed_as_a_stream_with_bounded_memory():
    body = listing(10_000)  # 20 MB of JSON
    with serving(lambda n: (body, len(body))) as http:
        tracemalloc.start()
        uuids = http.stream_items("/users", lambda item: item["uuid"])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert len(uuids) == 10_000 and uuids[-1] == "u9999"
    assert peak < 4 * 1024 * 1024 < len(body) / 4


def test_a_list_cut_half_way_is_read_again_from_the_start():
    body = listing(500)

    def answers(n: int) -> tuple[bytes, int]:
        return (body[: len(body) // 2], len(body)) if n == 0 else (body, len(body))

    with serving(answers) as http:
        uuids = http.stream_items("/users", lambda item: item["uuid"])
    assert uuids == [f"u{i}" for i in range(500)]


def test_a_list_that_is_not_json_is_one_api_error():
    body = b'{"items": [{"uuid": "a"}, {"uuid": '
    with serving(lambda n: (body, len(body))) as http, pytest.raises(ApiError) as info:
        http.stream_items("/users", dict)
    assert info.value.status == 200
    assert str(info.value).startswith("confd: GET /users -> 200: malformed JSON list")


def test_lists_are_parsed_by_ijsons_c_backend():
    # the pure-Python fallback would take tens of seconds of CPU for 50 000 users
    assert ijson.backend == "yajl2_c"
