"""`--realistic-costs`: the sandbox spends what the real confd spends, on one core."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import connect
from wazo_rec_tools.sandbox import Costs, Sandbox, SeedSpec
from wazo_rec_tools.sandbox.costs import ConfdCosts

REAL = ConfdCosts()


class Spent:
    """Records each cost as (seconds, whether confd's core was held) instead of sleeping."""

    def __init__(self) -> None:
        self.costs: Costs | None = None
        self.calls: list[tuple[float, bool]] = []
        self.sandbox: Sandbox | None = None
        self.wazo = None

    def __call__(self, seconds: float) -> None:
        assert self.costs is not None
        self.calls.append((round(seconds, 6), self.costs.core.locked()))


@pytest.fixture
def spent(tmp_path):
    record = Spent()
    costs = Costs(scale=1.0, sleep=record)
    record.costs = costs
    with Sandbox(SeedSpec(weeks=0), spool_dir=tmp_path, costs=costs) as sb, connect(sb) as wazo:
        wazo.tokens.get()
        record.calls.clear()
        record.sandbox, record.wazo = sb, wazo
        yield record


def users_list(spent: Spent, **params) -> None:
    acme = spent.sandbox.store.tenant("acme")["uuid"]
    spent.wazo.confd.http.get_json("/users", params=params, tenant=acme)


def test_an_unpaginated_users_list_loads_and_dumps_every_matching_user(spent):
    users_list(spent)
    around, on_core = (
        REAL.outside_core,
        20 * (REAL.load_per_matching_user + REAL.dump_per_returned_user),
    )
    assert spent.calls == [(around, False), (round(on_core, 6), True)]


def test_a_page_above_the_threshold_still_loads_every_matching_user(spent):
    users_list(spent, limit=102, offset=15)  # 5 returned of 20 matching
    on_core = 20 * REAL.load_per_matching_user + 5 * REAL.dump_per_returned_user
    assert spent.calls[-1] == (round(on_core, 6), True)


def test_a_page_at_the_threshold_costs_per_returned_user(spent):
    users_list(spent, limit=5)
    on_core = 20 * REAL.sort_per_matching_user + 5 * REAL.paginated_per_returned_user
    assert spent.calls[-1] == (round(on_core, 6), True)


def test_a_put_holds_the_core_for_41_ms(spent):
    user = next(iter(spent.sandbox.store.confd.users.values()))
    spent.wazo.confd.update_user(user["uuid"], {"online_call_record_enabled": True})
    assert spent.calls == [(REAL.outside_core, False), (REAL.write, True)]


def test_other_services_cost_nothing(spent):
    spent.wazo.auth.tenants()
    assert spent.calls == []


def test_scale_multiplies_every_cost(tmp_path):
    record = Spent()
    costs = Costs(scale=0.1, sleep=record)
    record.costs = costs
    with Sandbox(SeedSpec(weeks=0), spool_dir=tmp_path, costs=costs) as sb, connect(sb) as wazo:
        user = next(iter(sb.store.confd.users.values()))
        wazo.confd.update_user(user["uuid"], {"online_call_record_enabled": True})
    assert record.calls[-2:] == [(round(REAL.outside_core * 0.1, 6), False), (0.0041, True)]


def test_costs_are_off_unless_asked_for(tmp_path):
    record = Spent()
    costs = Costs(sleep=record)
    record.costs = costs
    with Sandbox(SeedSpec(weeks=0), spool_dir=tmp_path, costs=costs) as sb, connect(sb) as wazo:
        list(wazo.confd.users(recurse=True))
    assert record.calls == []


def test_the_model_gives_the_real_confd_figures_for_5000_users():
    one_request = REAL.list_seconds("users", None, 5000, 5000)
    pages_of_1000 = 5 * REAL.list_seconds("users", 1000, 5000, 1000)
    pages_of_100 = 50 * REAL.list_seconds("users", 100, 5000, 100)
    assert round(one_request) == 21  # measured: 22 s
    assert round(pages_of_1000) == 49  # measured: 54 s
    assert 59 <= pages_of_100 <= 67  # measured: 59-67 s for pages of <= 101
    assert 1 / (REAL.write + REAL.outside_core) == pytest.approx(18, abs=0.5)  # 18 PUT/s at 1


@pytest.mark.parametrize(
    ("flag", "shown"), [("--realistic-costs", "x1"), ("--realistic-costs=0.5", "x0.5")]
)
def test_sandbox_command_takes_realistic_costs_with_an_optional_scale(tmp_path, flag, shown):
    command = [sys.executable, "-m", "wazo_rec_tools", "sandbox", "--port", "0", flag]
    command += ["--users", "2", "--dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert banner.startswith("Sandbox Wazo stack on http://127.0.0.1:")
    assert banner.rstrip().endswith(f"(2 users, 2 tenants, confd costs {shown})")
