"""validate / plan / apply / dump / explain through the CLI, against the sandbox and its log."""

from __future__ import annotations

import json

import pytest

from wazo_rec_tools.sandbox import Sandbox

ONLINE = "online_call_record_enabled"
ACME = "version: 1\ntenants:\n  - tenant: acme\n"


def tenant_uuid(sb: Sandbox, slug: str) -> str:
    return sb.store.tenant(slug)["uuid"]


def users_of(sb: Sandbox, slug: str) -> list[dict]:
    uuid = tenant_uuid(sb, slug)
    return sorted(
        (u for u in sb.store.confd.users.values() if u["tenant_uuid"] == uuid),
        key=lambda u: u["username"],
    )


def group(sb: Sandbox, slug: str, label: str) -> dict:
    uuid = tenant_uuid(sb, slug)
    return next(
        g
        for g in sb.store.confd.groups.values()
        if g["tenant_uuid"] == uuid and g["label"] == label
    )


def writes(sb: Sandbox) -> list[tuple[str, str, object]]:
    """Every write to confd and call-logd (logging in and out of wazo-auth aside)."""
    return [
        (r.method, r.path, r.body)
        for r in sb.log
        if r.method in ("PUT", "POST", "DELETE") and r.service != "auth"
    ]


def online_rule(*usernames: str) -> str:
    names = ", ".join(usernames)
    return (
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      rules:\n"
        f"        - match: {{users: [{names}]}}\n          set: {{{ONLINE}: true}}\n"
    )


# -- apply: what is sent ---------------------------------------------------------------------


def test_apply_puts_minimal_bodies_and_only_for_users_that_change(stack, run_cli, write_policy):
    first, second = users_of(stack, "acme")[:2]
    second[ONLINE] = True
    write_policy(online_rule(first["username"], second["username"]))
    result = run_cli("apply", "--yes")
    assert result.exit_code == 0, result.stderr
    assert writes(stack) == [
        ("PUT", f"/api/confd/1.1/users/{first['uuid']}", {ONLINE: True}),
    ]
    assert "Applied: 1 changed, 0 failed." in result.stdout
    assert "Verified: the stack now matches the policy." in result.stdout


def test_apply_with_nothing_to_change_writes_nothing(stack, run_cli, write_policy):
    write_policy(
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults: {"
        + ONLINE
        + ": false}\n"
    )
    result = run_cli("apply", "--yes")
    assert result.exit_code == 0
    assert (
        result.stdout.strip() == "No changes: the stack matches the policy (20 objects in scope)."
    )
    assert writes(stack) == []


def test_group_put_preserves_ignore_forward(stack, run_cli, write_policy):
    support = group(stack, "acme", "Support")
    sales = group(stack, "acme", "Sales")
    assert (support["ignore_forward"], sales["ignore_forward"]) == (True, False)
    write_policy(
        "version: 1\ntenants:\n  - tenant: acme\n    groups:\n"
        "      items: {Support: {dtmf_record_toggle: true}, Sales: {dtmf_record_toggle: true}}\n"
    )
    assert run_cli("apply", "--yes").exit_code == 0
    bodies = {path: body for _, path, body in writes(stack)}
    assert bodies == {
        f"/api/confd/1.1/groups/{support['uuid']}": {
            "dtmf_record_toggle": True,
            "ignore_forward": True,
        },
        f"/api/confd/1.1/groups/{sales['uuid']}": {
            "dtmf_record_toggle": True,
            "ignore_forward": False,
        },
    }
    assert support["ignore_forward"] is True
    assert support["dtmf_record_toggle"] is True


def test_queue_put_by_int_id(stack, run_cli, write_policy):
    write_policy(ACME + "    queues:\n      items: {support: {dtmf_record_toggle: true}}\n")
    assert run_cli("apply", "--yes").exit_code == 0
    assert writes(stack) == [("PUT", "/api/confd/1.1/queues/1", {"dtmf_record_toggle": True})]


def test_applicationmap_is_put_back_whole_with_only_the_togglerecord_key_changed(
    stack, run_cli, write_policy
):
    stack.store.confd.applicationmap["custom"] = "*7,self,Playback(beep)"
    write_policy("version: 1\nfeatures:\n  togglerecord: {exten: '*4'}\n")
    assert run_cli("apply", "--yes").exit_code == 0
    expected = {
        "togglerecord": "*4,self,AGI(agi://${WAZO_AGID_IP}/call_recording)",
        "custom": "*7,self,Playback(beep)",
    }
    assert writes(stack) == [
        ("PUT", "/api/confd/1.1/asterisk/features/applicationmap", {"options": expected})
    ]
    assert stack.store.confd.applicationmap == expected


def test_callrecord_feature_put_by_uuid_with_only_the_changed_field(stack, run_cli, write_policy):
    feature = next(
        f for f in stack.store.confd.extension_features.values() if f["feature"] == "callrecord"
    )
    assert feature["enabled"] is False
    write_policy("version: 1\nfeatures:\n  callrecord: {enabled: true, exten: '*26'}\n")
    assert run_cli("apply", "--yes").exit_code == 0
    assert writes(stack) == [
        ("PUT", f"/api/confd/1.1/extensions/features/{feature['uuid']}", {"enabled": True})
    ]


def test_retention_put_keeps_the_keys_the_policy_does_not_set(stack, run_cli, write_policy):
    acme = tenant_uuid(stack, "acme")
    stack.store.calllogd.retention[acme] = {
        "cdr_days": 200,
        "recording_days": None,
        "export_days": 5,
    }
    write_policy("version: 1\ntenants:\n  - tenant: acme\n    retention: {recording_days: 30}\n")
    assert run_cli("apply", "--yes").exit_code == 0
    assert writes(stack) == [
        (
            "PUT",
            "/api/call-logd/1.0/retention",
            {"cdr_days": 200, "recording_days": 30, "export_days": 5},
        )
    ]
    assert [r.tenant for r in stack.log.find(method="PUT")] == [acme]


# -- apply: safety, confirmation, failures ---------------------------------------------------

DEFAULTS_FOR_ALL = ACME + "    users:\n      defaults: {" + ONLINE + ": true}\n"


def test_apply_past_the_safety_threshold_is_refused(stack, run_cli, write_policy):
    write_policy(DEFAULTS_FOR_ALL)
    result = run_cli("apply", "--yes")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: refusing to change 20 of 20 objects in scope "
        "(100% > safety.max_change_percent 30%): "
        "review `wazo-rec plan`, then run apply with --force"
    )
    assert writes(stack) == []


def test_apply_force_goes_past_the_safety_threshold(stack, run_cli, write_policy):
    write_policy(DEFAULTS_FOR_ALL)
    result = run_cli("apply", "--yes", "--force", "--concurrency", "4")
    assert result.exit_code == 0, result.stderr
    assert len(stack.log.find(method="PUT", path="/users/")) == 20
    assert all(u[ONLINE] for u in users_of(stack, "acme"))


def test_apply_without_a_terminal_and_without_yes_writes_nothing(stack, run_cli, write_policy):
    write_policy(online_rule(users_of(stack, "acme")[0]["username"]))
    result = run_cli("apply")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: refusing to apply without confirmation (1 object to change): "
        "not on a terminal; pass --yes"
    )
    assert writes(stack) == []


def test_partial_failure_exits_1_with_a_summary_and_a_second_apply_converges(
    stack, run_cli, write_policy
):
    users = users_of(stack, "acme")[:6]
    write_policy(online_rule(*(u["username"] for u in users)))
    for u in users[:2]:
        stack.faults.add(status=500, method="PUT", path=f"/users/{u['uuid']}$", count=1)
    result = run_cli("apply", "--yes")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    start = lines.index("Applied: 4 changed, 2 failed.")
    assert lines[start + 1 : start + 3] == [
        f"  failed: user {u['username']} (acme): confd: PUT /users/{u['uuid']} -> 500: "
        "Injected fault"
        for u in users[:2]
    ]
    assert lines[start + 3] == "Re-read: 2 objects still differ from the policy:"
    assert [u[ONLINE] for u in users] == [False, False, True, True, True, True]

    stack.log.clear()
    again = run_cli("apply", "--yes")
    assert again.exit_code == 0, again.stdout
    assert sorted(w[1] for w in writes(stack)) == sorted(
        f"/api/confd/1.1/users/{u['uuid']}" for u in users[:2]
    )
    assert "Applied: 2 changed, 0 failed." in again.stdout


def test_apply_json_output(stack, run_cli, write_policy):
    first = users_of(stack, "acme")[0]
    write_policy(online_rule(first["username"]))
    result = run_cli("apply", "--yes", "--output", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["summary"] == {"changed": 1, "failed": 0}
    assert document["results"] == [
        {
            "kind": "user",
            "tenant": "acme",
            "id": first["uuid"],
            "name": first["username"],
            "status": "changed",
            "error": None,
        }
    ]
    assert document["residual"]["changes"] == []


# -- plan -----------------------------------------------------------------------------------------


def test_plan_detailed_exitcode_is_2_with_changes_then_0_without(stack, run_cli, write_policy):
    write_policy(online_rule(users_of(stack, "acme")[0]["username"]))
    assert run_cli("plan", "--detailed-exitcode").exit_code == 2
    assert run_cli("plan").exit_code == 0
    assert run_cli("apply", "--yes").exit_code == 0
    assert run_cli("plan", "--detailed-exitcode").exit_code == 0
    write_policy("version: 1\ntenants:\n  - tenant: initech\n")
    assert run_cli("plan", "--detailed-exitcode").exit_code == 1


def test_plan_writes_nothing_and_reads_users_in_one_request_after_a_probe(
    stack, run_cli, write_policy
):
    write_policy(
        "version: 1\nfeatures:\n  callrecord: {enabled: true}\ntenants:\n"
        "  - tenant: acme\n    users:\n      defaults: {" + ONLINE + ": true}\n  - tenant: globex\n"
    )
    result = run_cli("plan", "--output", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["by_kind"] == {"features": 1, "users": 20}
    assert writes(stack) == []
    listed = stack.log.find(method="GET", path=r"/confd/1\.1/users$")
    assert [r.params.get("limit") for r in listed] == ["1", None]


def test_plan_for_one_tenant(stack, run_cli, write_policy):
    write_policy(
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      defaults: {"
        + ONLINE
        + ": true}\n"
        "  - tenant: globex\n    users:\n      defaults: {" + ONLINE + ": true}\n"
    )
    document = json.loads(run_cli("plan", "--tenant", "globex", "--output", "json").stdout)
    assert {c["tenant"] for c in document["changes"]} == {"globex"}


def test_features_with_a_sub_tenant_token_fail_in_one_line_before_any_write(
    stack, run_cli, write_policy, config_file
):
    write_policy(
        "version: 1\nfeatures:\n  callrecord: {enabled: true}\ntenants:\n  - tenant: acme\n"
    )
    acme_config = config_file.parent / "acme.yml"
    acme_config.write_text(
        config_file.read_text().replace("username: root", "username: admin-acme")
    )
    result = run_cli("apply", "--yes", config=acme_config)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{config_file.parent / 'policy.yml'}:2:1: features are global and need a token of the "
        "master tenant (this token belongs to a sub-tenant): use a master-tenant admin, "
        "or plan with --tenant"
    ]
    assert writes(stack) == []
    assert run_cli("plan", "--tenant", "acme", config=acme_config).exit_code == 0


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\ntenants: [\n",
        ACME + "    groups:\n      items: {Nope: {dtmf_record_toggle: true}}\n",
        "version: 1\ntenants:\n  - tenant: acme\n  - tenant: nope\n    users:\n      defaults: {"
        + ONLINE
        + ": true}\n",
    ],
    ids=["syntax", "unknown_group", "unknown_tenant"],
)
def test_bad_policies_make_zero_write_requests(stack, run_cli, write_policy, text):
    path = write_policy(text)
    result = run_cli("apply", "--yes", "--force")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:")
    assert writes(stack) == []


# -- validate, dump, explain, schema -----------------------------------------------------------


def test_validate_offline_needs_no_stack(run_cli, tmp_path):
    path = tmp_path / "other.yml"
    path.write_text("version: 1\ntenants:\n  - tenant: anything\n")
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stdout) == (0, f"{path}: valid (1 tenant)\n")


def test_validate_online_resolves_names(stack, run_cli, write_policy):
    path = write_policy(ACME + "    queues:\n      items: {nope: {dtmf_record_toggle: true}}\n")
    assert run_cli("validate").exit_code == 0
    result = run_cli("validate", "--online")
    assert result.exit_code == 1
    assert result.stderr == f"{path}:5:15: unknown queue 'nope' in tenant 'acme'\n"


def test_dump_then_plan_has_no_changes(stack, sandbox, run_cli, tmp_path):
    users_of(sandbox, "acme")[3][ONLINE] = True
    group(sandbox, "globex", "Sales")["dtmf_record_toggle"] = True
    out = tmp_path / "adopted.yml"
    result = run_cli("dump", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert run_cli("dump", "-o", str(out)).exit_code == 1  # never overwritten
    plan = run_cli("plan", "--policy", str(out), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout
    assert plan.stdout.startswith("No changes")


def test_explain_a_user(stack, run_cli, write_policy):
    first = users_of(stack, "acme")[0]
    path = write_policy(online_rule(first["username"]))
    result = run_cli("explain", first["username"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        f"user {first['username']} ({first['uuid']}) in tenant acme",
        f"matched by: rule 1 {{users: [{first['username']}]}} ({path}:6:11)",
    ]
    assert f"  {ONLINE}             false    true     rule 1  (will change)" in result.stdout


def test_schema_is_json(run_cli):
    result = run_cli("schema")
    assert json.loads(result.stdout)["title"] == "wazo-rec-tools recording policy"


def test_apply_asks_for_confirmation_on_a_terminal(stack, run_cli, write_policy, monkeypatch):
    monkeypatch.setattr("wazo_rec_tools.cli.policy.is_tty", lambda: True)
    first = users_of(stack, "acme")[0]
    write_policy(online_rule(first["username"]))
    declined = run_cli("apply", input="n\n")
    assert declined.exit_code == 1
    assert "Apply the plan (1 object to change)? [y/N]" in declined.stderr
    assert writes(stack) == []
    accepted = run_cli("apply", input="y\n")
    assert accepted.exit_code == 0
    assert len(writes(stack)) == 1
