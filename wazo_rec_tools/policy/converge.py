"""Converge the stack to the policy: plan -> safety -> confirm -> apply -> verify.

The loop lives here, once, as octoDNS's `Manager.sync` keeps it; `converge()` returns what
happened as a value and the callers (the `apply` command, the sync timer's job shell, the
notifications) render it. Nothing here prints, prompts or exits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import SafetyRefused
from ..wazo.stack import Wazo
from .apply import DEFAULT_CONCURRENCY, Outcome, apply_plan, describe, refreshed
from .inventory import Inventory
from .load import LoadedPolicy
from .plan import Change, Plan, build_plan
from .render import objects
from .resolve import resolve

Reread = Callable[[Wazo, Inventory, Sequence[Change]], Inventory]
NOT_CONFIRMED = "not confirmed: nothing applied"


@dataclass(frozen=True)
class Convergence:
    """The plan found, what was done about it, and what the re-read found."""

    planned: Plan
    outcomes: tuple[Outcome, ...] = ()
    residual: Plan | None = None  # None: nothing was applied, so nothing was re-read
    refused: str | None = None  # safety or the operator said no: nothing was written

    @property
    def changed(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def verified(self) -> bool:
        """The stack matches the policy now (it did already, or the re-read says so)."""
        return self.planned.empty or (self.residual is not None and self.residual.empty)

    @property
    def ok(self) -> bool:
        return self.refused is None and not self.failed and self.verified

    def errors(self) -> list[str]:
        """What went wrong, the first problem first."""
        found = [self.refused] if self.refused else []
        found += [f"{describe(o.change)}: {o.error}" for o in self.failed]
        if self.residual is not None and not self.residual.empty:
            found.append(
                f"re-read found {objects(len(self.residual.changes))} differing from the policy"
            )
        return found


def converge(
    wazo: Wazo,
    loaded: LoadedPolicy,
    read: Callable[[], Inventory],
    *,
    tenant: str | None = None,
    force: bool = False,
    confirm: Callable[[Plan], bool] = lambda _: True,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_planned: Callable[[Plan], Any] | None = None,
    on_done: Callable[[Outcome], Any] | None = None,
    reread: Reread = refreshed,
) -> Convergence:
    """Plan the policy against `read()`, apply what differs unless refused, then verify.

    `confirm` is asked once the plan passed safety (False: nothing is written);
    `on_planned` sees the plan before that, `on_done` each outcome as it lands. The check
    reads again only the objects that changed (`reread`); the others keep what the plan read.
    """
    inventory = read()
    planned = build_plan(resolve(loaded, inventory, tenant=tenant))
    if on_planned is not None:
        on_planned(planned)
    if planned.empty:
        return Convergence(planned)
    try:
        planned.check_safety(force=force)
    except SafetyRefused as exc:
        return Convergence(planned, refused=str(exc))
    if not confirm(planned):
        return Convergence(planned, refused=NOT_CONFIRMED)
    outcomes = apply_plan(wazo, planned, concurrency=concurrency, on_done=on_done)
    after = reread(wazo, inventory, planned.changes)
    residual = build_plan(resolve(loaded, after, tenant=tenant))
    return Convergence(planned, tuple(outcomes), residual=residual)
