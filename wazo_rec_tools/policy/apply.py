"""Execute a plan: one request per changed object, a few at a time, every failure recorded.

A failure does not stop the other changes (each object is independent, and PUTs are
idempotent); the caller reports what did and did not happen, then verifies with
`refreshed`: the objects of the plan read again, the others kept as the plan read them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..errors import UserError
from ..wazo.confd import Listed
from ..wazo.stack import Wazo
from .inventory import CallRecordExtension, Inventory, Retention
from .plan import Change, Plan
from .read import TRIM

# confd is one Python process on one core: past 2 requests in flight, PUTs only queue inside
# it (18/s at 1, 21.8/s at 2, 24.5/s at 8; docs/policy.md "Reading and concurrency").
DEFAULT_CONCURRENCY = 2


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


def refreshed(wazo: Wazo, inventory: Inventory, changes: Iterable[Change]) -> Inventory:
    """`inventory` with the objects of `changes` read again from the stack, for verifying.

    Only those objects are read: users by a `uuid` filter (chunked), each group and queue by
    its `id` filter, the features and retention that changed; every other object keeps what
    the plan read (an unchanged object is never read twice). An object gone meanwhile drops
    out of the inventory.
    """
    changes = list(changes)
    of_kind = {kind: [c for c in changes if c.kind == kind] for kind in ("user", "group", "queue")}
    confd = wazo.confd
    result = dataclasses.replace(inventory, retention=dict(inventory.retention))

    stale_users = {str(c.object_id) for c in of_kind["user"]}
    if stale_users:
        fresh: dict[str, Any] = {}
        by_tenant: dict[str, list[str]] = {}
        for user in inventory.users:
            if user.uuid in stale_users:
                by_tenant.setdefault(user.tenant_uuid, []).append(user.uuid)
        for tenant_uuid, uuids in by_tenant.items():
            for user in confd.users_by_uuid(uuids, TRIM["users"], tenant=tenant_uuid):
                fresh[user.uuid] = user
        result.users = []
        for user in inventory.users:
            if user.uuid not in stale_users:
                result.users.append(user)
            elif user.uuid in fresh:  # else deleted meanwhile
                result.users.append(fresh[user.uuid])

    stale_groups = {str(c.object_id) for c in of_kind["group"]}
    if stale_groups:
        result.groups = _reread(inventory.groups, lambda g: g.uuid in stale_groups, "groups", wazo)
    stale_queues = {int(c.object_id) for c in of_kind["queue"]}
    if stale_queues:
        result.queues = _reread(inventory.queues, lambda q: q.id in stale_queues, "queues", wazo)

    kinds = {c.kind for c in changes}
    if "feature" in kinds:
        listed = confd.extension_features(feature="callrecord")
        feature = next((f for f in listed if f.get("feature") == "callrecord"), None)
        result.callrecord = None
        if feature is not None:
            result.callrecord = CallRecordExtension(
                feature["uuid"], feature["exten"], bool(feature["enabled"])
            )
    if "applicationmap" in kinds:
        result.applicationmap = confd.applicationmap()
    for change in changes:
        if change.kind == "retention":
            tenant_uuid = str(change.object_id)
            current = wazo.calllogd.retention(tenant=tenant_uuid)
            result.retention[tenant_uuid] = Retention(
                current.get("cdr_days"), current.get("recording_days"), current.get("export_days")
            )
    return result


def _reread(
    objects: list[Any], stale: Callable[[Any], bool], resource: Listed, wazo: Wazo
) -> list[Any]:
    """Groups or queues: each stale one read again by its `id` filter, in its own tenant."""
    out = []
    for obj in objects:
        if not stale(obj):
            out.append(obj)
            continue
        fresh = wazo.confd.read_all(
            resource, TRIM[resource], tenant=obj.tenant_uuid, expected=1, id=obj.id
        )
        out += [f for f in fresh if f.id == obj.id]
    return out
