"""`wazo-rec validate | plan | apply | dump | explain | schema`: the recording policy."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .. import durable
from ..errors import InputErrors, SafetyRefused, UserError
from ..jobs.report import JobOutcome
from ..jobs.reporter import StreamReporter
from ..jobs.shell import JobShell, RunContext
from ..policy.apply import DEFAULT_CONCURRENCY, Outcome, outcomes_json, summary_lines
from ..policy.converge import NOT_CONFIRMED, Convergence, converge
from ..policy.dump import dump_policy
from ..policy.explain import explain as explain_user
from ..policy.explain import explain_json, explain_text
from ..policy.inventory import Inventory
from ..policy.load import LoadedPolicy, load_policy
from ..policy.model import json_schema
from ..policy.plan import Plan, build_plan
from ..policy.read import dump_scope, policy_scope, read_inventory, visible_tenants
from ..policy.render import objects, plan_json, render_text
from ..policy.resolve import resolve, selection_lines
from ..policy.sync import JOB as SYNC_JOB
from ..policy.sync import sync_outcome
from ..wazo.stack import Wazo
from . import main
from .context import app, emit_json, is_tty, output_option

policy_option = click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy file [default: `policy:` of the config, /etc/wazo-rec-tools/policy.yml].",
)
tenant_option = click.option(
    "--tenant",
    help="Only this tenant of the policy (uuid, slug or name); global features are left out.",
)


def _load(policy_path: Path | None) -> LoadedPolicy:
    return load_policy(policy_path or app().config.policy)


def _warn(warnings: tuple[str, ...] | list[str]) -> None:
    for line in warnings:
        click.echo(line, err=True)


def _status(text: str) -> None:
    """One transient line on a terminal's stderr while the stack is read ("" clears it)."""
    if sys.stderr.isatty():
        click.echo(f"\r\x1b[K{text}", nl=False, err=True)


def _inventory(wazo: Wazo, loaded: LoadedPolicy, tenant: str | None) -> Inventory:
    tenants = visible_tenants(wazo)
    scope = policy_scope(wazo, loaded, tenants, tenant=tenant)
    return read_inventory(wazo, scope, tenants, status=_status)


def _plan(wazo: Wazo, loaded: LoadedPolicy, tenant: str | None) -> Plan:
    return build_plan(resolve(loaded, _inventory(wazo, loaded, tenant), tenant=tenant))


@main.command()
@click.argument("policy_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@policy_option
@click.option("--online", is_flag=True, help="Also resolve every name against the stack.")
@output_option
def validate(policy_file: Path | None, policy_path: Path | None, online: bool, output: str) -> None:
    """Check the policy: schema and semantics offline, names too with --online.

    Errors are `file:line:column: message`, all of them at once. With --online, also how
    many users `defaults` and each rule select. The configuration is checked too
    (destinations, encryption). Nothing is written.
    With --output json: {policy, valid, errors, warnings, tenants}; exit 1 when not valid.
    """
    config = app().config  # loading it reports its errors
    path = policy_file or policy_path or config.policy
    if output == "json":
        _validate_json(path, online)
        return
    loaded = _load(path)
    if not online:
        _warn(loaded.warnings)
        tenants = len(loaded.policy.tenants)
        click.echo(f"{loaded.path}: valid ({tenants} tenant{'s' if tenants != 1 else ''})")
        return
    with app().connect() as wazo:
        desired = resolve(loaded, _inventory(wazo, loaded, None))
    plan = build_plan(desired)
    _warn(plan.warnings)
    click.echo(
        f"{loaded.path}: valid, every name resolves on the stack "
        f"({plan.objects_in_scope} objects in scope)"
    )
    for line in selection_lines(loaded, desired):
        click.echo(line)


def _validate_json(path: Path, online: bool) -> None:
    report: dict = {"policy": str(path), "valid": False, "errors": [], "warnings": []}
    try:
        loaded = _load(path)
        report["tenants"] = len(loaded.policy.tenants)
        report["warnings"] = list(loaded.warnings)
        if online:
            with app().connect() as wazo:
                plan = _plan(wazo, loaded, None)
            report["warnings"] = list(plan.warnings)
            report["objects_in_scope"] = plan.objects_in_scope
        report["valid"] = True
    except InputErrors as exc:
        report["errors"] = list(exc.problems)
    except UserError as exc:
        report["errors"] = [str(exc)]
    emit_json(report)
    if not report["valid"]:
        raise click.exceptions.Exit(1)


@main.command()
@policy_option
@tenant_option
@output_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes (0: none, 1: error), like terraform plan.",
)
@click.pass_context
def plan(
    ctx: click.Context,
    policy_path: Path | None,
    tenant: str | None,
    output: str,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, per object and field: before → after (origin).

    Reads only; nothing is written.
    """
    loaded = _load(policy_path)
    with app().connect() as wazo:
        result = _plan(wazo, loaded, tenant)
    _warn(result.warnings)
    if output == "json":
        emit_json(plan_json(result))
    else:
        click.echo(render_text(result, colour=is_tty()))
    if detailed_exitcode and not result.empty:
        ctx.exit(2)


@main.command()
@policy_option
@tenant_option
@click.option(
    "--yes", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."
)
@click.option("--force", is_flag=True, help="Apply even past safety.max_change_percent.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Requests in flight at once (confd serialises them past 2; raise it for stacks "
    "with more headroom).",
)
@output_option
@click.pass_context
def apply(
    ctx: click.Context,
    policy_path: Path | None,
    tenant: str | None,
    yes: bool,
    force: bool,
    concurrency: int,
    output: str,
) -> None:
    """Converge the stack to the policy: only the objects that differ are written.

    \b
    Shows the plan, refuses past the policy's safety threshold unless --force, asks for
    confirmation on a terminal unless --yes (and refuses without a terminal and --yes),
    writes with bounded concurrency, then re-reads the changed objects to verify. Exit 1 if
    any change failed or drift remains.

    \b
    Every apply is the `sync` job: one at a time per state directory (a second one exits
    1 at once, naming the holder), with the notify: hooks and metrics: of the config.
    """
    loaded = _load(policy_path)
    text = output == "text"
    found: list[Convergence] = []

    def work(run: RunContext) -> JobOutcome:
        progress = _Progress(show=text and is_tty())
        with app().connect() as wazo:
            try:
                result = converge(
                    wazo,
                    loaded,
                    lambda: _inventory(wazo, loaded, tenant),
                    tenant=tenant,
                    force=force,
                    confirm=lambda planned: _confirm(planned, yes),
                    concurrency=concurrency,
                    on_planned=lambda planned: _show_plan(planned, text, progress),
                    on_done=progress,
                )
            finally:
                progress.close()
        found.append(result)
        for line in _result_lines(result):
            run.reporter.note(line)
        return sync_outcome(result, datetime.now(UTC), partial=tenant is not None)

    JobShell(SYNC_JOB, app().config, what="apply", reporter=_stderr_reporter()).run(work)
    result = found[0]
    if result.refused == NOT_CONFIRMED:
        raise click.Abort()
    if result.refused is not None:
        raise SafetyRefused(result.refused)
    if text:
        for line in _result_lines(result):
            click.echo(line)
    else:
        emit_json(_convergence_json(result))
    if not result.ok:
        ctx.exit(1)


def _show_plan(planned: Plan, text: bool, progress: _Progress) -> None:
    _warn(planned.warnings)
    progress.length = len(planned.changes)
    if text:
        click.echo(render_text(planned, colour=is_tty()))


def _confirm(planned: Plan, yes: bool) -> bool:
    if yes:
        return True
    n = objects(len(planned.changes))
    if not is_tty():
        raise SafetyRefused(
            f"refusing to apply without confirmation ({n} to change): not on a terminal; pass --yes"
        )
    return click.confirm(f"Apply the plan ({n} to change)?", default=False, err=True)


def _result_lines(result: Convergence) -> list[str]:
    if result.planned.empty:
        return []
    if result.refused is not None:
        return [f"error: {result.refused}"]  # the log tail's copy; the CLI raises it
    lines = summary_lines(list(result.outcomes))
    residual = result.residual
    if residual is not None and residual.empty:
        lines.append("Verified: the stack now matches the policy.")
    elif residual is not None:
        lines.append(f"Re-read: {objects(len(residual.changes))} still differ from the policy:")
        lines.append(render_text(residual))
    return lines


def _convergence_json(result: Convergence) -> dict:
    outcomes = list(result.outcomes)
    return {
        "plan": plan_json(result.planned),
        "results": outcomes_json(outcomes),
        "summary": {"changed": result.changed, "failed": len(result.failed)},
        "residual": plan_json(result.residual) if result.residual is not None else None,
    }


def _stderr_reporter() -> StreamReporter:
    """The job shell's own lines (hooks' warnings) stay off stdout, which may be JSON."""
    return StreamReporter(out=sys.stderr)


class _Progress:
    """A progress bar on a terminal, drawn from the first applied change on."""

    def __init__(self, *, show: bool):
        self.show = show
        self.length = 0
        self._bar: Any = None

    def __call__(self, _: Outcome) -> None:
        if not self.show:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=self.length, label="Applying", file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@main.command()
@tenant_option
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the policy to this new file instead of standard output.",
)
def dump(tenant: str | None, output_file: Path | None) -> None:
    """Write a policy that describes the stack as it is (`plan` right after shows no changes).

    Global features are included when the token belongs to the master tenant.
    """
    if output_file is not None and output_file.exists():
        raise UserError(f"{output_file} already exists: remove it or choose another file")
    with app().connect() as wazo:
        tenants = visible_tenants(wazo)
        scope = dump_scope(wazo, tenants, tenant=tenant)
        inventory = read_inventory(wazo, scope, tenants, status=_status)
    result = dump_policy(inventory, scope.tenants)
    _warn(result.notes)
    if output_file is None:
        click.echo(result.yaml(), nl=False)
        return
    _write_new(output_file, result.yaml())
    click.echo(f"wrote {output_file}", err=True)


def _write_new(path: Path, text: str) -> None:
    """A failure never leaves half a policy, and an existing file is never overwritten."""
    try:
        durable.write_new(path, text.encode("utf-8"), 0o644)
    except FileExistsError:
        raise UserError(f"{path} already exists: remove it or choose another file") from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


@main.command()
@click.argument("user")
@policy_option
@output_option
def explain(user: str, policy_path: Path | None, output: str) -> None:
    """A user's current and desired recording fields, and which rule set each.

    USER is a username, e-mail, uuid or id, looked up in the tenants of the policy.
    """
    loaded = _load(policy_path)
    with app().connect() as wazo:
        inventory = _inventory(wazo, loaded, None)
    result = explain_user(loaded, inventory, user)
    if output == "json":
        emit_json(explain_json(result))
    else:
        click.echo(explain_text(result))


@main.command()
def schema() -> None:
    """Print the policy's JSON Schema (for editors: yaml-language-server and the like)."""
    click.echo(json.dumps(json_schema(), indent=2))
