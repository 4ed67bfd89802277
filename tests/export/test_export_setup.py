"""`wazo-rec export setup`: the service account, its policy and its refresh token."""

from __future__ import annotations

import json
import stat

from observed import export_posts

EXPORT_ACL = {
    "call-logd.cdr.recordings.media.export.create",
    "call-logd.exports.*.read",
    "call-logd.exports.*.download.read",
    "call-logd.cdr.read",
}
USERNAME = "wazo-rec-export"


def service_account(sandbox) -> dict:
    (user,) = [u for u in sandbox.store.auth.users.values() if u["username"] == USERNAME]
    return user


def account_policies(sandbox) -> list[dict]:
    return [sandbox.store.auth.policies[uuid] for uuid in service_account(sandbox)["policies"]]


def token_file(config_file):
    return config_file.parent / "refresh-token"


def test_setup_writes_the_refresh_token_to_a_file_only_its_owner_can_read(run_cli, config_file):
    result = run_cli("export", "setup")

    assert result.exit_code == 0, result.stderr
    path = token_file(config_file)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip()


def test_setup_never_prints_the_refresh_token(run_cli, config_file):
    result = run_cli("export", "setup", "--output", "json")

    refresh = token_file(config_file).read_text().strip()
    assert refresh not in result.stdout + result.stderr
    assert json.loads(result.stdout)["token"] == "written"


def test_setup_creates_an_external_api_account_in_the_master_tenant(run_cli, sandbox):
    run_cli("export", "setup")

    user = service_account(sandbox)
    assert user["purpose"] == "external_api"
    assert user["tenant_uuid"] == sandbox.store.master_tenant_uuid


def test_setup_policy_holds_exactly_the_export_acl_with_tenant_listing_for_all_tenants(
    run_cli, sandbox
):
    run_cli("export", "setup")

    (policy,) = account_policies(sandbox)
    assert set(policy["acl"]) == EXPORT_ACL | {"auth.tenants.read"}
    assert len(policy["acl"]) == len(set(policy["acl"]))


def test_setup_for_one_tenant_puts_the_account_there_without_tenant_listing(
    run_cli, sandbox, config_file
):
    config_file.write_text(config_file.read_text() + "  tenants: [acme]\n")

    assert run_cli("export", "setup").exit_code == 0

    assert service_account(sandbox)["tenant_uuid"] == sandbox.store.tenant("acme")["uuid"]
    (policy,) = account_policies(sandbox)
    assert set(policy["acl"]) == EXPORT_ACL


def test_account_of_one_tenant_exports_it_without_listing_tenants(run_cli, sandbox, config_file):
    config_file.write_text(config_file.read_text() + "  tenants: [acme]\n")
    assert run_cli("export", "setup").exit_code == 0
    sandbox.log.clear()

    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    posts = [p for p in export_posts(sandbox) if p.status == 202]
    assert len(posts) == 4
    assert {p.tenant for p in posts} == {None}  # the token's own tenant: no Wazo-Tenant
    listings = sandbox.log.find(method="GET", path=r"/auth/0\.1/tenants$")
    assert {r.status for r in listings} == {401}  # no auth.tenants.read, and none needed


def test_export_run_uses_the_service_account_once_set_up(run_cli, sandbox):
    assert run_cli("export", "setup").exit_code == 0
    sandbox.log.clear()

    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    logins = sandbox.log.find(method="POST", path=r"/token$")
    assert logins
    assert all(login.body.get("refresh_token") for login in logins)
    creators = {e["user_uuid"] for e in sandbox.store.calllogd.exports.values()}
    assert creators == {service_account(sandbox)["uuid"]}


def test_setup_again_reuses_account_and_policy_and_keeps_the_token(run_cli, sandbox, config_file):
    run_cli("export", "setup")
    before = token_file(config_file).read_text()
    account = service_account(sandbox)["uuid"]
    sandbox.log.clear()

    result = run_cli("export", "setup", "--output", "json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["user"], report["policy"], report["token"]) == ("reused", "unchanged", "kept")
    assert report["user_uuid"] == account
    assert token_file(config_file).read_text() == before
    assert sandbox.log.find(method="POST", path=r"/(users|policies)$") == []
    assert len(account_policies(sandbox)) == 1


def test_setup_refuses_to_replace_a_foreign_token_file_without_force(run_cli, sandbox, config_file):
    path = token_file(config_file)
    path.write_text("someone else's token\n")
    path.chmod(0o600)

    result = run_cli("export", "setup")

    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert path.read_text() == "someone else's token\n"
    assert not [u for u in sandbox.store.auth.users.values() if u["username"] == USERNAME]


def test_setup_needs_admin_credentials(run_cli, config_file):
    config_file.write_text(config_file.read_text().replace("  username: root\n", ""))

    result = run_cli("export", "setup")

    assert result.exit_code == 1
    assert "needs admin credentials" in result.stderr


def test_refresh_token_never_reaches_output_logs_journal_or_manifests(
    run_cli, config_file, state_dir, archives
):
    run_cli("export", "setup")
    refresh = token_file(config_file).read_text().strip()

    result = run_cli("--debug", "export", "run")
    status = run_cli("export", "status", "--output", "json")

    assert result.exit_code == 0, result.stderr
    assert refresh not in result.stdout + result.stderr + status.stdout
    for path in [*state_dir.rglob("*"), *archives.rglob("*")]:
        if path.is_file():
            assert refresh.encode() not in path.read_bytes(), path


def test_setup_again_puts_back_the_exact_acl_of_a_policy_changed_by_hand(run_cli, sandbox):
    run_cli("export", "setup")
    (policy,) = account_policies(sandbox)
    policy["acl"] = [*policy["acl"], "confd.#"]

    result = run_cli("export", "setup", "--output", "json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["policy"] == "updated"
    (policy,) = account_policies(sandbox)
    assert set(policy["acl"]) == EXPORT_ACL | {"auth.tenants.read"}


def test_setup_force_creates_the_account_again_with_a_new_refresh_token(
    run_cli, sandbox, config_file
):
    run_cli("export", "setup")
    old_token = token_file(config_file).read_text()
    old_account = service_account(sandbox)["uuid"]

    result = run_cli("export", "setup", "--force", "--output", "json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["user"] == "recreated"
    assert service_account(sandbox)["uuid"] != old_account
    new_token = token_file(config_file).read_text()
    assert new_token != old_token
    assert stat.S_IMODE(token_file(config_file).stat().st_mode) == 0o600
    assert run_cli("export", "run", "--tenant", "acme").exit_code == 0
