"""What the real wazo-confd costs, so that a sandbox can cost the same (`--realistic-costs`).

Measured on wazo-confd 26.08 (2 vCPUs, PostgreSQL 15, 5 000 users in a tenant;
docs/wazo-api.md, confd §1):

- A users list above `paginated_user_strategy_threshold` (101), or without `limit`, loads
  every *matching* user with its relations (~1.4 ms each), cuts the page in Python, then
  dumps each *returned* user (~2.75 ms). At or below 101: ~11.8 ms per returned user (lazy
  relations), plus the bare rows it still loads and sorts (estimated here at 0.02 ms each).
- confd is one Python process: one core for every request, so requests are processed one at
  a time (a global lock here). A user, group or queue PUT holds it ~41 ms.
- Around that core, ~14 ms per request are spent elsewhere (the token check by wazo-auth,
  PostgreSQL, the client's round trip): one PUT in flight gives 18/s, two ~22/s, eight 24.5/s.

Groups and queues lists were not measured: they are costed per returned item at the users'
dump rate, with no loading cost; item GETs cost only the time around the core. `scale`
multiplies every figure (0.1: ten times faster).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

PAGINATED_USER_STRATEGY_THRESHOLD = 101


@dataclass(frozen=True)
class ConfdCosts:
    """Seconds per unit of work of the real confd (see the module docstring)."""

    load_per_matching_user: float = 0.0014
    dump_per_returned_user: float = 0.00275
    paginated_per_returned_user: float = 0.0118
    sort_per_matching_user: float = 0.00002
    dump_per_returned_item: float = 0.00275  # groups, queues: not measured, an estimate
    write: float = 0.041
    outside_core: float = 0.014
    threshold: int = PAGINATED_USER_STRATEGY_THRESHOLD

    def list_seconds(self, resource: str, limit: int | None, matching: int, returned: int) -> float:
        """The core time of one list answer (`matching`: rows before limit/offset)."""
        if resource != "users":
            return self.dump_per_returned_item * returned
        if limit is None or limit > self.threshold:
            return self.load_per_matching_user * matching + self.dump_per_returned_user * returned
        return self.sort_per_matching_user * matching + self.paginated_per_returned_user * returned


@dataclass
class Costs:
    """A sandbox's costs: off (every call returns at once) unless `scale` > 0."""

    scale: float = 0.0
    confd: ConfdCosts = field(default_factory=ConfdCosts)
    sleep: Callable[[float], None] = time.sleep  # how a cost is spent (tests record it)
    core: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def enabled(self) -> bool:
        return self.scale > 0

    @contextmanager
    def serving(self, service: str, method: str) -> Iterator[None]:
        """Around one request's handler: confd's single core, and what a write holds it."""
        if not self.enabled or service != "confd":
            yield
            return
        self.sleep(self.confd.outside_core * self.scale)
        with self.core:
            yield
            if method in ("PUT", "POST", "DELETE"):
                self.sleep(self.confd.write * self.scale)

    def confd_list(self, resource: str, limit: int | None, matching: int, returned: int) -> None:
        """Called by a confd list handler (inside `serving`, so on the core)."""
        if self.enabled:
            self.sleep(self.confd.list_seconds(resource, limit, matching, returned) * self.scale)
