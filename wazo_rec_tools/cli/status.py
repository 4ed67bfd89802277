"""`wazo-rec status`: can the tool reach the stack, log in, and do its jobs?"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from .. import permissions, secrets
from ..errors import UserError
from ..jobs import hooks
from ..jobs.shell import pending_counts
from ..wazo.http import ApiError
from ..wazo.stack import Wazo
from . import main
from .context import app, emit_json, output_option


def _probe(wazo: Wazo, service: str) -> tuple[bool, str]:
    """Up means the daemon answered (any status but a gateway error)."""
    http = wazo._http[service]
    # docs/wazo-api.md, auth §0: wazo-auth's /status answers HEAD only (GET is 405); the others
    # answer GET
    method = "HEAD" if service == "auth" else "GET"
    try:
        response = http.request(method, "/status", auth=False, expect=range(100, 600))
    except ApiError as exc:
        return False, exc.message
    if response.status_code in (502, 503, 504):
        return False, f"HTTP {response.status_code} from {http.base_url}"
    return True, http.base_url


@main.command()
@output_option
def status(output: str) -> None:
    """Reachability of each service, the token, and the ACLs the jobs need."""
    config = app().config
    report: dict = {
        "config": {
            "path": str(config.path or config.searched),
            "found": config.path is not None,
        },
        "services": {},
        "token": None,
        "missing_acl": {},
    }
    wazo = app().wazo(retries=0)
    try:
        for service in ("auth", "confd", "call-logd", "calld"):
            up, detail = _probe(wazo, service)
            report["services"][service] = {"up": up, "detail": detail}
        if report["services"]["auth"]["up"]:
            report["token"], wazo = _check_token(wazo)
        if report["token"] and report["token"]["ok"]:
            report["missing_acl"] = _missing_acl(wazo, report["token"]["credential"])
    finally:
        wazo.close()

    report["notify"] = _hooks()
    metrics = app().config.metrics
    report["metrics"] = str(metrics) if metrics else None
    healthy = (
        all(s["up"] for s in report["services"].values())
        and bool(report["token"] and report["token"]["ok"])
        and all(h["ok"] for h in report["notify"])
    )
    report["ok"] = healthy
    if output == "json":
        emit_json(report)
    else:
        _print(report)
    if not healthy:
        raise click.exceptions.Exit(1)


def _check_token(unauthenticated: Wazo) -> tuple[dict, Wazo]:
    unauthenticated.close()
    try:
        wazo = app().connect()
        wazo.tokens.get()
    except UserError as exc:
        return {"ok": False, "error": str(exc)}, app().wazo(retries=0)
    credential = (
        "refresh token" if wazo.tokens.__class__.__name__ == "RefreshTokens" else "password"
    )
    info = wazo.tokens.info
    config = app().config
    return (
        {
            "ok": True,
            "credential": credential,
            # whose token the jobs run with: a refresh token belongs to whoever minted it
            "user_uuid": info.get("auth_id"),
            "username": config.auth.username if credential == "password" else None,
            "client_id": config.auth.client_id if credential == "refresh token" else None,
            "tenant_uuid": (info.get("metadata") or {}).get("tenant_uuid"),
            "expires_at": utc_with_offset(info.get("utc_expires_at")),
        },
        wazo,
    )


def utc_with_offset(text: str | None) -> str | None:
    """docs/wazo-api.md (auth): `utc_expires_at` is UTC without an offset; say so in the value
    itself."""
    if not text:
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _missing_acl(wazo: Wazo, credential: str) -> dict[str, list[str]]:
    config = app().config
    jobs: dict[str, list[str]] = {}
    if credential == "refresh token" or secrets.has_refresh_token(config):
        jobs["export"] = permissions.export_acl(config.export.tenants == "all")
        mirror = config.mirror
        if mirror.destinations:
            jobs["mirror"] = permissions.mirror_acl(True, mirror.delete_after_delivery)
    if credential == "password":
        jobs["policy"] = permissions.POLICY + permissions.POLICY_FEATURES
        jobs["admin"] = permissions.ADMIN
        jobs["audit"] = permissions.AUDIT
    wanted = sorted({acl for acls in jobs.values() for acl in acls})
    try:
        held = wazo.check_scopes(wanted)
    except ApiError as exc:
        return {"(scopes check)": [exc.message]}
    return {job: [a for a in acls if not held.get(a, False)] for job, acls in jobs.items()}


def _hooks() -> list[dict]:
    """Each notify: entry, checked without calling it: the URL's form, the secret."""
    config = app().config
    try:
        waiting = pending_counts(config.export.state_dir)
    except UserError:
        waiting = {}
    found = []
    for hook, problem in hooks.check(config):
        entry = hook.entry
        if hook.kind == "healthchecks":
            follows = entry.jobs or list(hooks.JOBS)
        else:
            follows = [e for e in hooks.EVENTS if entry.follows_event(e)]
        found.append(
            {
                "kind": hook.kind,
                "target": hooks.display_url(entry.url, hook.kind),
                "follows": follows,
                "ok": problem is None,
                "problem": problem,
                "pending_events": waiting.get(hook.outbox_key, 0),
            }
        )
    return found


def _print(report: dict) -> None:
    if not report["config"]["found"]:
        # without a file the built-in defaults apply: say so before four services "DOWN"
        click.echo(
            f"config     {report['config']['path']} not found: built-in defaults (the stack "
            "on 127.0.0.1); give -c FILE or set WAZO_REC_CONFIG"
        )
    for service, state in report["services"].items():
        mark = "up  " if state["up"] else "DOWN"
        click.echo(f"{service:<10} {mark}  {state['detail']}")
    token = report["token"]
    if token is None:
        click.echo("token      not checked (auth is unreachable)")
    elif not token["ok"]:
        click.echo(f"token      FAILED  {token['error']}")
    else:
        who = f"user {token['username'] or token['user_uuid']}"
        if token["client_id"]:
            who = f"user {token['user_uuid']}, client id {token['client_id']}"
        click.echo(
            f"token      ok    {token['credential']} of {who}, tenant {token['tenant_uuid']}, "
            f"expires {token['expires_at']}"
        )
    for job, missing in report["missing_acl"].items():
        if missing:
            click.echo(f"acl        {job}: missing {', '.join(missing)}")
        else:
            click.echo(f"acl        {job}: all present")
    for hook in report["notify"]:
        state = "ok  " if hook["ok"] else "BAD "
        line = f"notify     {state}  {hook['kind']} {hook['target']}: {', '.join(hook['follows'])}"
        if hook["pending_events"]:
            line += f" ({hook['pending_events']} event(s) waiting for a retry)"
        click.echo(line + (f": {hook['problem']}" if hook["problem"] else ""))
    if report["metrics"]:
        click.echo(f"metrics    {report['metrics']}")
