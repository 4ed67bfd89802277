"""Execute a plan: one request per changed object, a few at a time, every failure recorded.

A failure does not stop the other changes (each object is independent, and PUTs are
idempotent); the caller reports what did and did not happen, then re-reads to verify.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..errors import UserError
from ..wazo.stack import Wazo
from .plan import Change, Plan

DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class Outcome:
    change: Change
    error: str | None = None  # one line, None when the change was made

    @property
    def ok(self) -> bool:
        return self.error is None


def send(wazo: Wazo, change: Change) -> None:
    """The one request that makes `change` (its body is exactly `change.body()`)."""
    body = change.body()
    confd = wazo.confd
    if change.kind == "user":
        confd.update_user(str(change.object_id), body)
    elif change.kind == "group":
        confd.update_group(str(change.object_id), body)
    elif change.kind == "queue":
        confd.update_queue(int(change.object_id), body)
    elif change.kind == "feature":
        confd.update_extension_feature(str(change.object_id), body)
    elif change.kind == "applicationmap":
        confd.put_applicationmap(body["options"])
    elif change.kind == "retention":
        wazo.calllogd.put_retention(body, tenant=str(change.object_id))
    else:  # pragma: no cover - Kind is closed
        raise ValueError(f"unknown change kind {change.kind!r}")


def apply_plan(
    wazo: Wazo,
    plan: Plan,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[Outcome], Any] | None = None,
) -> list[Outcome]:
    """Make every change of `plan`; the outcomes come back in the plan's order.

    At most a few requests per worker are queued at a time, so that 50,000 changes do not
    mean 50,000 futures in memory.
    """
    workers = max(1, concurrency)
    wazo.size_pool(workers)
    outcomes: list[Outcome | None] = [None] * len(plan.changes)
    queued = iter(enumerate(plan.changes))

    def attempt(change: Change) -> Outcome:
        try:
            send(wazo, change)
        except UserError as exc:  # ApiError: the server's one-line answer
            return Outcome(change, str(exc))
        except Exception as exc:  # a bug must not hide what the other changes did
            return Outcome(change, f"internal error: {type(exc).__name__}: {exc}")
        return Outcome(change)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future[Outcome], int] = {}

        def submit(count: int) -> None:
            for i, change in islice(queued, count):
                pending[pool.submit(attempt, change)] = i

        submit(4 * workers)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                outcomes[pending.pop(future)] = outcome
                if on_done is not None:
                    on_done(outcome)
            submit(len(done))
    return [o for o in outcomes if o is not None]


def describe(change: Change) -> str:
    """`user alice (acme)`: how a change is named in summaries."""
    where = f" ({change.tenant.display})" if change.tenant is not None else ""
    return f"{change.kind} {change.name}{where}"


def summary_lines(outcomes: list[Outcome]) -> list[str]:
    changed = sum(o.ok for o in outcomes)
    failed = [o for o in outcomes if not o.ok]
    lines = [f"Applied: {changed} changed, {len(failed)} failed."]
    lines += [f"  failed: {describe(o.change)}: {o.error}" for o in failed]
    return lines


def outcomes_json(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    return [
        {
            "kind": o.change.kind,
            "tenant": o.change.tenant.display if o.change.tenant else None,
            "id": o.change.object_id,
            "name": o.change.name,
            "status": "changed" if o.ok else "failed",
            "error": o.error,
        }
        for o in outcomes
    ]
