"""Bad policies: every problem is reported as `file:line:col: message` (loading or resolving)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from policy_samples import ACME, inventory, policy, user

from wazo_rec_tools.errors import InputErrors
from wazo_rec_tools.policy.load import load_policy
from wazo_rec_tools.policy.model import Policy, json_schema
from wazo_rec_tools.policy.resolve import resolve

REPO = Path(__file__).resolve().parents[2]


def problems(text: str, *, master: bool = True) -> list[str]:
    """The located problems of a policy: loading first, then resolution against the sample stack."""
    stack = inventory()
    stack.master = master
    with pytest.raises(InputErrors) as caught:
        resolve(policy(text), stack)
    return caught.value.problems


def rules(match: str, set_: str = "{online_call_record_enabled: true}") -> str:
    return (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      rules:\n"
        f"        - match: {match}\n          set: {set_}\n"
    )


BAD_POLICIES = {
    "yaml_syntax_error": (
        "version: 1\ntenants: [\n",
        "policy.yml:3:1: YAML syntax error: expected the node content, but found '<stream end>'",
    ),
    "duplicate_key": (
        "version: 1\nversion: 1\n",
        "policy.yml:2:1: duplicate key 'version' (first defined at line 1)",
    ),
    "unknown_top_level_key": (
        "version: 1\ntennants: []\n",
        "policy.yml:2:1: unknown key 'tennants'",
    ),
    "unknown_tenant_key": (
        "version: 1\ntenants:\n  - tenant: acme\n    user: {}\n",
        "policy.yml:4:5: unknown key 'user'",
    ),
    "unknown_user_field": (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults:\n"
        "        call_record_incoming: true\n",
        "policy.yml:6:9: unknown key 'call_record_incoming'",
    ),
    "unknown_feature_key": (
        "version: 1\nfeatures:\n  callrecord: {enabled: false, key: x}\n",
        "policy.yml:3:32: unknown key 'key'",
    ),
    "match_with_unknown_key": (rules("{user: [alice]}"), "policy.yml:6:19: unknown key 'user'"),
    "tenants_not_a_list": (
        "version: 1\ntenants: acme\n",
        "policy.yml:2:10: tenants: expected a list, got a string ('acme')",
    ),
    "defaults_not_a_mapping": (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults: all\n",
        "policy.yml:5:17: tenants.0.users.defaults: expected a mapping, got a string ('all')",
    ),
    "tenant_named_no_stays_a_string_and_is_unknown": (
        "version: 1\ntenants:\n  - tenant: no\n",
        "policy.yml:3:13: unknown tenant 'no' (not a uuid, slug or name of a visible tenant)",
    ),
    "unknown_group_in_rule": (
        rules("{groups: [sales]}"),
        "policy.yml:6:28: unknown group 'sales' in tenant 'acme' (did you mean 'Sales'?)",
    ),
    "unknown_group_in_items": (
        "version: 1\ntenants:\n  - tenant: acme\n    groups:\n      items:\n"
        "        Marketing: {dtmf_record_toggle: true}\n",
        "policy.yml:6:9: unknown group 'Marketing' in tenant 'acme'",
    ),
    "unknown_queue_in_items": (
        "version: 1\ntenants:\n  - tenant: acme\n    queues:\n"
        "      items: {helpdesk: {dtmf_record_toggle: true}}\n",
        "policy.yml:5:15: unknown queue 'helpdesk' in tenant 'acme'",
    ),
    "unbalanced_bracket_in_glob": (
        rules("{users: [alice, 'bo[b']}"),
        "policy.yml:6:34: tenants.0.users.rules.0.match.users.1: "
        "bad pattern 'bo[b': '[' at position 3 is not closed by ']'",
    ),
    "empty_pattern": (
        rules("{users: ['']}"),
        "policy.yml:6:27: tenants.0.users.rules.0.match.users.0: a pattern must not be empty",
    ),
    "missing_version": ("tenants: []\n", "policy.yml:1:1: version: required key is missing"),
    "version_2": (
        "version: 2\n",
        "policy.yml:1:10: version: unsupported policy version 2: this wazo-rec reads version 1",
    ),
    "version_as_a_string": (
        "version: '1'\n",
        "policy.yml:1:10: version: expected an integer, got '1'",
    ),
    "recording_days_above_cdr_days": (
        "version: 1\ntenants:\n  - tenant: acme\n"
        "    retention: {cdr_days: 30, recording_days: 90}\n",
        "policy.yml:4:47: tenants.0.retention.recording_days: "
        "recording_days (90) must not exceed cdr_days (30)",
    ),
    "recording_days_above_the_current_cdr_days": (
        "version: 1\ntenants:\n  - tenant: acme\n    retention: {recording_days: 400}\n",
        "policy.yml:4:33: recording_days 400 must not exceed cdr_days 365: recordings cannot "
        "be kept longer than their CDRs (tenant 'acme', values after the change; call-logd "
        "refuses it): set both",
    ),
    "days_above_a_century": (
        "version: 1\ntenants:\n  - tenant: acme\n    retention:\n"
        "      cdr_days: 99999999999999999999999\n",
        "policy.yml:5:17: tenants.0.retention.cdr_days: "
        "a number of days must be at most 36500 (a century), got 99999999999999999999999",
    ),
    "negative_days": (
        "version: 1\ntenants:\n  - tenant: acme\n    retention:\n      export_days: -1\n",
        "policy.yml:5:20: tenants.0.retention.export_days: "
        "a number of days must be 0 or more, got -1",
    ),
    "call_record_enabled_in_set": (
        rules("{users: [alice]}", "{call_record_enabled: true}"),
        "policy.yml:7:38: tenants.0.users.rules.0.set.call_record_enabled: call_record_enabled is "
        "not accepted: confd synthesizes it from the four call_record_*_enabled flags and rejects "
        "it next to them; set those four instead",
    ),
    "empty_match": (
        rules("{}"),
        "policy.yml:6:18: tenants.0.users.rules.0.match: "
        "match needs a non-empty `users` or `groups` list",
    ),
    "empty_set": (
        rules("{groups: [Sales]}", "{}"),
        "policy.yml:7:16: tenants.0.users.rules.0.set: set at least one recording field",
    ),
    "string_true_for_a_bool": (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n"
        '      defaults: {online_call_record_enabled: "true"}\n',
        "policy.yml:5:46: tenants.0.users.defaults.online_call_record_enabled: "
        "expected true or false, got 'true'",
    ),
    "yaml_1_1_yes_for_a_bool": (
        "version: 1\ntenants:\n  - tenant: acme\n"
        "    groups:\n      defaults: {dtmf_record_toggle: yes}\n",
        "policy.yml:5:38: tenants.0.groups.defaults.dtmf_record_toggle: "
        "expected true or false, got 'yes'",
    ),
    "null_for_a_field": (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults:\n"
        "        online_call_record_enabled:\n",
        "policy.yml:6:36: tenants.0.users.defaults.online_call_record_enabled: "
        "a value is required here (leave the key out to leave it unmanaged)",
    ),
    "duplicate_tenant": (
        "version: 1\ntenants:\n  - tenant: acme\n  - tenant: globex\n  - tenant: acme\n",
        "policy.yml:5:13: duplicate tenant 'acme' (first listed at line 3)",
    ),
    "same_tenant_by_slug_and_uuid": (
        "version: 1\ntenants:\n  - tenant: acme\n"
        "  - tenant: aaaaaaaa-0000-4000-8000-000000000001\n",
        "policy.yml:4:13: tenant 'aaaaaaaa-0000-4000-8000-000000000001' "
        "is the same tenant as 'acme'",
    ),
    "exact_user_pattern_matching_nobody": (
        rules("{users: [alice, zoe]}"),
        "policy.yml:6:34: unknown user 'zoe' in tenant 'acme' (by username, e-mail or uuid)",
    ),
    "empty_file": ("", "policy.yml:1:1: the policy is empty: it needs at least `version: 1`"),
    "not_a_mapping": (
        "- version: 1\n",
        "policy.yml:1:1: the policy must be a mapping (version, features, tenants, safety)",
    ),
    "bad_feature_exten": (
        "version: 1\nfeatures:\n  callrecord: {enabled: true, exten: abc}\n",
        "policy.yml:3:38: features.callrecord.exten: not a feature extension: 'abc' (e.g. *26)",
    ),
    "togglerecord_with_a_comma": (
        "version: 1\nfeatures:\n  togglerecord: {exten: '*3,self'}\n",
        "policy.yml:3:25: features.togglerecord.exten: "
        "not a DTMF sequence: '*3,self' (digits, *, #, A-D; e.g. *3)",
    ),
    "percentage_above_100": (
        "version: 1\nsafety: {max_change_percent: 150}\n",
        "policy.yml:2:30: safety.max_change_percent: expected a percentage from 0 to 100, got 150",
    ),
}


@pytest.mark.parametrize("text, expected", BAD_POLICIES.values(), ids=BAD_POLICIES.keys())
def test_bad_policy_is_reported_with_its_location(text, expected):
    assert problems(text) == [expected]


def test_features_with_a_sub_tenant_token_are_an_error_at_the_features_key():
    text = "version: 1\nfeatures:\n  togglerecord: {exten: '*3'}\n"
    assert problems(text, master=False) == [
        "policy.yml:2:1: features are global and need a token of the master tenant (this token "
        "belongs to a sub-tenant): use a master-tenant admin, or plan with --tenant"
    ]


def test_every_problem_is_reported_at_once_in_file_order():
    text = (
        "version: 2\n"
        "tenants:\n"
        "  - tenant: acme\n"
        "    users:\n"
        "      defaults: {online_call_record_enabled: 1, bogus: true}\n"
        "  - tenant: acme\n"
    )
    assert problems(text) == [
        "policy.yml:1:10: version: unsupported policy version 2: this wazo-rec reads version 1",
        "policy.yml:5:46: tenants.0.users.defaults.online_call_record_enabled: "
        "expected true or false, got 1",
        "policy.yml:5:49: unknown key 'bogus'",
        "policy.yml:6:13: duplicate tenant 'acme' (first listed at line 3)",
    ]


def test_resolution_reports_every_unknown_name_at_once():
    text = (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      rules:\n"
        "        - match: {users: [zoe], groups: [Nope]}\n"
        "          set: {online_call_record_enabled: true}\n"
        "    queues:\n      items: {nope: {dtmf_record_toggle: true}}\n"
        "  - tenant: initech\n"
    )
    assert problems(text) == [
        "policy.yml:6:27: unknown user 'zoe' in tenant 'acme' (by username, e-mail or uuid)",
        "policy.yml:6:42: unknown group 'Nope' in tenant 'acme'",
        "policy.yml:9:15: unknown queue 'nope' in tenant 'acme'",
        "policy.yml:10:13: unknown tenant 'initech' (not a uuid, slug or name of a visible tenant)",
    ]


def test_a_missing_policy_file_is_one_clear_error(tmp_path):
    with pytest.raises(InputErrors) as caught:
        load_policy(tmp_path / "nope.yml")
    assert caught.value.problems == [f"{tmp_path / 'nope.yml'}: file not found"]


def test_errors_carry_the_path_of_the_policy_file(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text("version: 1\nsafety: {max: 3}\n")
    with pytest.raises(InputErrors) as caught:
        load_policy(path)
    assert caught.value.problems == [f"{path}:2:10: unknown key 'max'"]


def test_enabling_star26_while_managing_call_record_flags_warns():
    loaded = policy(
        "version: 1\nfeatures:\n  callrecord: {enabled: true}\ntenants:\n  - tenant: acme\n"
        "    users:\n      defaults: {call_record_incoming_external_enabled: true}\n"
    )
    assert loaded.warnings == [
        "policy.yml:3:25: warning: *26 is enabled (features.callrecord) and tenant 'acme' manages "
        "users' call_record_* flags: users can flip these with *26 and every sync will fight them"
    ]


def test_enabling_star26_while_managing_only_online_recording_does_not_warn():
    loaded = policy(
        "version: 1\nfeatures:\n  callrecord: {enabled: true}\ntenants:\n  - tenant: acme\n"
        "    users:\n      defaults: {online_call_record_enabled: true}\n"
    )
    assert loaded.warnings == []


def test_star26_enabled_on_the_stack_warns_when_the_policy_does_not_manage_it():
    stack = inventory()
    stack.callrecord.enabled = True
    loaded = policy(
        "version: 1\ntenants:\n  - tenant: acme\n"
        "    users:\n      defaults: {call_record_outgoing_internal_enabled: true}\n"
    )
    assert resolve(loaded, stack).warnings == [
        "warning: *26 (*26) is enabled on the stack and the policy manages users' call_record_* "
        "flags: users can flip these with *26 and every sync will fight them"
    ]


def test_a_glob_matching_nobody_is_a_warning_not_an_error():
    desired = resolve(policy(rules("{users: ['*@nowhere.example']}")), inventory())
    assert desired.warnings == [
        "policy.yml:6:27: warning: pattern '*@nowhere.example' matches no user in tenant 'acme'"
    ]


def test_the_example_policy_is_valid():
    loaded = load_policy(REPO / "policy.example.yml")
    assert loaded.policy.version == 1
    assert loaded.warnings == []


def test_a_minimal_policy_takes_the_safety_default():
    assert policy("version: 1\n").policy.safety.max_change_percent == 30


def test_schema_describes_the_five_user_fields_and_not_call_record_enabled():
    schema = json_schema()
    fields = schema["$defs"]["UserSettings"]["properties"]
    assert sorted(fields) == sorted(
        [
            "call_record_outgoing_internal_enabled",
            "call_record_outgoing_external_enabled",
            "call_record_incoming_internal_enabled",
            "call_record_incoming_external_enabled",
            "online_call_record_enabled",
        ]
    )
    assert schema["$defs"]["UserSettings"]["additionalProperties"] is False
    assert "null" not in json.dumps(schema)


def test_policy_model_rejects_call_record_enabled_when_built_in_code():
    with pytest.raises(ValueError, match="call_record_enabled is not accepted"):
        Policy.model_validate(
            {
                "version": 1,
                "tenants": [{"tenant": "a", "users": {"defaults": {"call_record_enabled": True}}}],
            }
        )


def test_policy_recording_days_above_the_default_cdr_days_is_refused_like_retention_set():
    from wazo_rec_tools.policy.inventory import Retention

    stack = inventory()
    globex = next(t for t in stack.tenants if t.slug == "globex")
    stack.retention[globex.uuid] = Retention(defaults={"cdr_days": 365, "recording_days": 365})
    text = "version: 1\ntenants:\n  - tenant: globex\n    retention: {recording_days: 400}\n"

    with pytest.raises(InputErrors) as caught:
        resolve(policy(text), stack)

    (problem,) = caught.value.problems
    assert problem.startswith(
        "policy.yml:4:33: recording_days 400 must not exceed cdr_days 365 (the default)"
    )


def test_a_user_name_with_glob_characters_matches_itself_first():

    stack = inventory()
    stack.users += [user(7, ACME, "bob[1]", None), user(8, ACME, "bob1", None)]

    desired = resolve(policy(rules("{users: ['bob[1]']}")), stack)

    (acme,) = [t for t in desired.tenants if t.tenant.slug == "acme"]
    assert [d.user.username for d in acme.users] == ["bob[1]"]
    assert desired.warnings == []


def test_a_glob_still_matches_by_pattern_when_no_name_is_exactly_it():

    stack = inventory()
    stack.users += [user(8, ACME, "bob1", None)]

    desired = resolve(policy(rules("{users: ['bob[1]']}")), stack)

    (acme,) = [t for t in desired.tenants if t.tenant.slug == "acme"]
    assert [d.user.username for d in acme.users] == ["bob1"]


def test_a_rule_whose_users_are_in_none_of_its_groups_is_a_located_warning():
    text = rules("{users: [erin], groups: [Sales]}")

    desired = resolve(policy(text), inventory())

    assert desired.warnings == ["policy.yml:6:18: warning: rule 1 matches no user in tenant 'acme'"]
