"""Fixtures of the audit tests: a policy, and calls of known categories added to the sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sandbox_calls import WEEK_END, WEEK_START, Person, insert_call, person

from wazo_rec_tools.wazo.http import HttpClient

POLICY = """\
version: 1
tenants:
  - tenant: acme
    users:
      defaults:
        call_record_outgoing_internal_enabled: false
        call_record_outgoing_external_enabled: false
        call_record_incoming_internal_enabled: false
        call_record_incoming_external_enabled: false
        online_call_record_enabled: false
      rules:
        - match: {{users: [{alice}]}}
          set: {{call_record_outgoing_external_enabled: true}}
        - match: {{users: [{bob}]}}
          set:
            call_record_incoming_internal_enabled: true
            call_record_incoming_external_enabled: true
        - match: {{users: [{carol}]}}
          set: {{online_call_record_enabled: true}}
    groups:
      items: {{Sales: {{dtmf_record_toggle: true}}, Support: {{dtmf_record_toggle: false}}}}
    queues:
      items: {{support: {{dtmf_record_toggle: true}}}}
"""


@dataclass
class KnownCalls:
    tenant_uuid: str
    alice: Person
    bob: Person
    carol: Person
    dave: Person
    expected: dict[int, str]  # cdr id -> category, or the out-of-scope reason
    starts: dict[int, str]  # cdr id -> start (ISO, UTC)
    window: tuple[str, str]


@pytest.fixture
def known_calls(sandbox, config_file) -> KnownCalls:
    """Thirteen acme calls in a week of 2025, each of a known category, and the policy."""
    store = sandbox.store
    acme = store.tenant("acme")
    users = sorted(
        (u for u in store.confd.users.values() if u["tenant_uuid"] == acme["uuid"]),
        key=lambda u: u["id"],
    )
    alice, bob, carol, dave = (person(u) for u in users[:4])
    groups = {
        g["label"]: g for g in store.confd.groups.values() if g["tenant_uuid"] == acme["uuid"]
    }
    queues = {q["name"]: q for q in store.confd.queues.values() if q["tenant_uuid"] == acme["uuid"]}
    policy = POLICY.format(alice=alice.username, bob=bob.username, carol=carol.username)
    Path(config_file.parent / "policy.yml").write_text(policy)

    expected: dict[int, str] = {}
    starts: dict[int, str] = {}

    def call(category: str, direction: str, **kwargs) -> None:
        start = WEEK_START + timedelta(hours=9 + len(expected))
        cdr_id = insert_call(sandbox, acme["uuid"], direction, start=start, **kwargs)
        expected[cdr_id] = category
        starts[cdr_id] = start.isoformat()

    call("ok", "outbound", source=alice, recordings=(False,))
    call("missing", "outbound", source=alice)
    call("deleted", "outbound", source=alice, recordings=(True,))
    call("unexpected", "inbound", destination=dave, recordings=(False,))
    call("on-demand", "inbound", destination=carol, recordings=(False,))
    call("on-demand", "inbound", destination=dave, group=groups["Sales"], recordings=(False,))
    call("on-demand", "inbound", destination=dave, queue=queues["support"], recordings=(False,))
    call("unexpected", "inbound", destination=carol, group=groups["Support"], recordings=(False,))
    call("missing", "internal", source=dave, destination=bob)
    call("ok", "internal", source=dave, destination=carol)
    call("unanswered", "inbound", destination=bob, answered=False)
    call("not-users", "inbound", recordings=(False,))
    call("ok", "inbound", destination=bob, recordings=(False, True))
    return KnownCalls(
        acme["uuid"],
        alice,
        bob,
        carol,
        dave,
        expected,
        starts,
        (WEEK_START.isoformat(), WEEK_END.isoformat()),
    )


@pytest.fixture
def no_backoff(monkeypatch) -> None:
    """Retries without waiting, for tests that exhaust them on purpose."""
    monkeypatch.setattr(HttpClient, "_sleep", lambda self, attempt, why: None)
