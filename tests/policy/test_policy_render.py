"""The plan as text for people and as stable JSON for scripts (snapshots)."""

from __future__ import annotations

import json

from policy_samples import inventory, policy

from wazo_rec_tools.policy.plan import build_plan
from wazo_rec_tools.policy.render import plan_json, render_text
from wazo_rec_tools.policy.resolve import resolve

POLICY = """\
version: 1
features:
  togglerecord: {exten: "*4"}
tenants:
  - tenant: acme
    users:
      defaults: {call_record_incoming_external_enabled: true}
      rules:
        - match: {users: [alice]}
          set: {online_call_record_enabled: true}
    groups:
      items: {Sales: {dtmf_record_toggle: true}}
    retention: {recording_days: 30}
"""

TEXT = """\
global
  ~ applicationmap togglerecord
      togglerecord: *3 → *4  (features.togglerecord)
tenant acme
  ~ user alice
      call_record_incoming_external_enabled: false → true  (defaults)
      online_call_record_enabled: false → true  (rule 1)
  ~ user bob
      call_record_incoming_external_enabled: false → true  (defaults)
  ~ user carol
      call_record_incoming_external_enabled: false → true  (defaults)
  ~ user Dave@acme.com
      call_record_incoming_external_enabled: false → true  (defaults)
  ~ group Sales
      dtmf_record_toggle: false → true  (items)
  ~ retention acme
      recording_days: null → 30  (retention)

Plan: 7 objects to change (applicationmap 1, users 4, groups 1, retention 1), 8 in scope."""


def sample_plan():
    return build_plan(resolve(policy(POLICY), inventory()))


def test_text_rendering_reads_like_a_diff():
    assert render_text(sample_plan()) == TEXT


def test_text_rendering_of_an_empty_plan_is_one_line():
    plan = build_plan(resolve(policy("version: 1\ntenants:\n  - tenant: globex\n"), inventory()))
    assert render_text(plan) == "No changes: the stack matches the policy (0 objects in scope)."


def test_text_has_colour_only_when_asked():
    assert "\x1b[" not in render_text(sample_plan())
    coloured = render_text(sample_plan(), colour=True)
    assert "\x1b[31mfalse\x1b[0m → \x1b[32mtrue\x1b[0m" in coloured


def test_json_rendering_is_stable():
    document = plan_json(sample_plan())
    assert document["format_version"] == 1
    assert document["summary"] == {
        "objects_in_scope": 8,
        "changes": 7,
        "by_kind": {"applicationmap": 1, "users": 4, "groups": 1, "retention": 1},
    }
    assert document["warnings"] == []
    assert [c["kind"] for c in document["changes"]] == [
        "applicationmap",
        "user",
        "user",
        "user",
        "user",
        "group",
        "retention",
    ]
    assert document["changes"][1] == {
        "kind": "user",
        "tenant": "acme",
        "tenant_uuid": "aaaaaaaa-0000-4000-8000-000000000001",
        "id": "11111111-0000-4000-8000-000000000001",
        "name": "alice",
        "fields": {
            "call_record_incoming_external_enabled": {
                "before": False,
                "after": True,
                "origin": "defaults",
            },
            "online_call_record_enabled": {"before": False, "after": True, "origin": "rule 1"},
        },
        "body": {"call_record_incoming_external_enabled": True, "online_call_record_enabled": True},
    }
    assert document["changes"][5]["body"] == {"dtmf_record_toggle": True, "ignore_forward": True}
    assert document["changes"][6] == {
        "kind": "retention",
        "tenant": "acme",
        "tenant_uuid": "aaaaaaaa-0000-4000-8000-000000000001",
        "id": "aaaaaaaa-0000-4000-8000-000000000001",
        "name": "acme",
        "fields": {"recording_days": {"before": None, "after": 30, "origin": "retention"}},
        "body": {"cdr_days": 365, "recording_days": 30, "export_days": 2},
    }
    assert document["changes"][0]["tenant"] is None
    json.dumps(document)  # plain JSON types only
