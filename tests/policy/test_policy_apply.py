"""apply_plan: one request per change, failures recorded without stopping the others."""

from __future__ import annotations

import threading

from policy_samples import inventory, policy

from wazo_rec_tools.errors import UserError
from wazo_rec_tools.policy.apply import apply_plan, summary_lines
from wazo_rec_tools.policy.plan import build_plan
from wazo_rec_tools.policy.resolve import resolve


class FakeConfd:
    """Records user PUTs; refuses the users listed in `broken`."""

    def __init__(self, broken: set[str]):
        self.broken = broken
        self.puts: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def update_user(self, uuid: str, body: dict) -> None:
        with self.lock:
            self.puts.append((uuid, body))
        if uuid in self.broken:
            raise UserError(f"confd: PUT /users/{uuid} -> 500: boom")


class FakeWazo:
    def __init__(self, broken: set[str] = frozenset()):
        self.confd = FakeConfd(set(broken))
        self.pool: int | None = None

    def size_pool(self, concurrency: int) -> None:
        self.pool = concurrency


def every_acme_user_online():
    text = (
        "version: 1\ntenants:\n  - tenant: acme\n"
        "    users: {defaults: {online_call_record_enabled: true}}\n"
    )
    return build_plan(resolve(policy(text), inventory()))


def test_one_put_per_change_with_its_body():
    plan = every_acme_user_online()
    wazo = FakeWazo()
    outcomes = apply_plan(wazo, plan, concurrency=3)
    assert sorted(wazo.confd.puts) == sorted((c.object_id, c.body()) for c in plan.changes)
    assert [o.change for o in outcomes] == list(plan.changes)
    assert wazo.pool == 3  # room for every worker's connection, before they start


def test_a_failure_does_not_stop_the_other_changes():
    plan = every_acme_user_online()
    broken = plan.changes[1].object_id
    outcomes = apply_plan(FakeWazo({broken}), plan, concurrency=1)
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert summary_lines(outcomes) == [
        "Applied: 3 changed, 1 failed.",
        f"  failed: user bob (acme): confd: PUT /users/{broken} -> 500: boom",
    ]


def test_progress_callback_sees_every_outcome():
    plan = every_acme_user_online()
    seen = []
    apply_plan(FakeWazo(), plan, concurrency=2, on_done=seen.append)
    assert sorted(o.change.name for o in seen) == sorted(c.name for c in plan.changes)
