"""`wazo-rec export setup`: the export's service account, its least-privilege policy and its refresh
token (docs/wazo-api.md, auth §5), created with admin credentials. Safe to run again.

The refresh token belongs to whoever logs in (docs/wazo-api.md, auth §5, `token create`), so it is
minted by logging in *as the service account*, with a generated password that is never shown: an
account that already exists without its token file can only get a new token by being created
again (wazo-auth asks for the old password to change it), which --force does.
"""

from __future__ import annotations

import secrets as random_secrets
from dataclasses import dataclass, field
from pathlib import Path

from .. import permissions
from ..config import Config
from ..errors import UserError
from ..secrets import write_token_file
from ..wazo.http import ApiError
from ..wazo.stack import Wazo

SERVICE_USERNAME = "wazo-rec-export"
POLICY_NAME = "wazo-rec-tools-export"
POLICY_DESCRIPTION = "wazo-rec-tools: the weekly recording export (managed by export setup)"
UNIT_CREDENTIAL_PATH = Path("/etc/wazo-rec-tools/refresh-token")  # LoadCredential= in the unit


@dataclass
class SetupReport:
    username: str
    user_uuid: str
    tenant: dict
    user: str  # created | reused | recreated
    policy_uuid: str
    policy: str  # created | updated | unchanged
    acl: list[str]
    attached: bool  # the policy was attached by this run
    token_file: Path
    token: str  # written | kept
    missing_acl: list[str] | None = field(default_factory=list)  # None: could not check


def export_acl(wazo: Wazo, config: Config, home_tenant: str) -> list[str]:
    """docs/wazo-api.md, auth §5: auth.tenants.read only when the export reaches beyond the
    account's tenant."""
    tenants = config.export.tenants
    if tenants == "all":
        return permissions.export_acl(True)
    resolved = {wazo.resolve_tenant(ref)["uuid"] for ref in tenants}
    return permissions.export_acl(resolved != {home_tenant})


def home_tenant(wazo: Wazo, config: Config) -> dict:
    """The tenant the account lives in: the one tenant exported, else the admin's own (top)
    tenant, whose token sees every sub-tenant."""
    tenants = config.export.tenants
    if tenants != "all" and len(tenants) == 1:
        return wazo.resolve_tenant(tenants[0])
    return wazo.resolve_tenant(wazo.token_tenant)


def setup_service_account(
    wazo: Wazo, config: Config, *, username: str = SERVICE_USERNAME, force: bool = False
) -> SetupReport:
    token_file = config.auth.refresh_token_file
    need_token = force or not (token_file.exists() or token_file.is_symlink())
    if need_token and not token_file.parent.is_dir():
        # checked before anything changes on the stack: a token minted but not written is lost
        raise UserError(
            f"{token_file.parent} does not exist: create it (mkdir -m 750 {token_file.parent}) "
            "and run export setup again"
        )
    tenant = home_tenant(wazo, config)
    user = wazo.auth.find_user(username)
    if user is None and not need_token:
        raise UserError(
            f"{token_file} exists but the service account {username!r} does not: nothing "
            "changed; run `wazo-rec export setup --force` to create the account and replace "
            "that file"
        )
    password: str | None = None
    user_state = "reused"
    if user is not None and need_token:
        if not force:
            raise UserError(
                f"the service account {username!r} exists but its refresh token file "
                f"{token_file} does not; run `wazo-rec export setup --force` to create the "
                "account again with a new refresh token (the old one stops working)"
            )
        _delete_user(wazo, user["uuid"])
        user, user_state = None, "recreated"
    if user is None:
        password = random_secrets.token_urlsafe(32)
        user = wazo.auth.create_user(
            username=username,
            password=password,
            purpose="external_api",
            tenant=tenant["uuid"],
            firstname="wazo-rec-tools",
            lastname="export",
        )
        user_state = "created" if user_state == "reused" else user_state
    account_tenant = user.get("tenant_uuid") or tenant["uuid"]
    acl = export_acl(wazo, config, account_tenant)
    # the mirror runs with the same refresh token
    mirror = config.mirror
    acl += [
        a
        for a in permissions.mirror_acl(bool(mirror.destinations), mirror.delete_after_delivery)
        if a not in acl
    ]
    policy_uuid, policy_state = _ensure_policy(wazo, acl, account_tenant)
    attached = False
    if policy_uuid not in {p["uuid"] for p in wazo.auth.user_policies(user["uuid"])}:
        wazo.auth.attach_policy(user["uuid"], policy_uuid)
        attached = True
    token_state = "kept"
    missing: list[str] | None = []
    if need_token:
        assert password is not None
        refresh = wazo.auth.create_refresh_token(
            username=username, password=password, client_id=config.auth.client_id
        )
        missing = _missing_acl(wazo, refresh, config.auth.client_id, acl)
        write_token_file(token_file, refresh, force=force)
        token_state = "written"
    return SetupReport(
        username=username,
        user_uuid=user["uuid"],
        tenant={k: tenant.get(k) for k in ("uuid", "slug", "name")},
        user=user_state,
        policy_uuid=policy_uuid,
        policy=policy_state,
        acl=acl,
        attached=attached,
        token_file=token_file,
        token=token_state,
        missing_acl=missing,
    )


def _ensure_policy(wazo: Wazo, acl: list[str], tenant_uuid: str) -> tuple[str, str]:
    policy = wazo.auth.find_policy(POLICY_NAME, tenant=tenant_uuid)
    if policy is None:
        created = wazo.auth.create_policy(
            name=POLICY_NAME, acl=acl, description=POLICY_DESCRIPTION, tenant=tenant_uuid
        )
        return created["uuid"], "created"
    if sorted(policy.get("acl") or []) == sorted(acl):
        return policy["uuid"], "unchanged"
    wazo.auth.update_policy(
        policy["uuid"], name=POLICY_NAME, acl=acl, description=POLICY_DESCRIPTION
    )
    return policy["uuid"], "updated"


def _delete_user(wazo: Wazo, user_uuid: str) -> None:
    """DELETE /users/{uuid} (docs/wazo-api.md, auth §1: its refresh tokens go with it)."""
    wazo.auth.delete_user(user_uuid)


def _missing_acl(wazo: Wazo, refresh: str, client_id: str, acl: list[str]) -> list[str] | None:
    """What a token minted from the new refresh token lacks (docs/wazo-api.md, auth §2
    scopes/check)."""
    data = wazo.auth.token_from_refresh(refresh, client_id, expiration=60)
    token = data["token"]
    try:
        held = wazo.auth.check_scopes(token, acl)
    except ApiError:
        return None
    finally:
        wazo.auth.revoke_token(token)
    return [a for a in acl if not held.get(a, False)]
