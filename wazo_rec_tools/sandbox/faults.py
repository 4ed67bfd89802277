"""Injected faults: error statuses, dropped connections and delays on matching requests."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    """One fault rule. `count` None = every matching request until `Faults.clear()`."""

    path: re.Pattern[str]
    method: str | None = None
    status: int | None = None
    drop: bool = False
    delay: float = 0.0
    count: int | None = None
    probability: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path.search(path) is not None


class Faults:
    """The fault rules of a sandbox; the first rule that fires on a request wins."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._rng = random.Random(seed)

    def add(
        self,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str = "",
        count: int | None = None,
        probability: float | None = None,
        drop: bool = False,
        delay: float = 0.0,
    ) -> Fault:
        """Add a rule: answer `status`, or `drop` the connection, and/or `delay` first.

        `path` is a regex searched in the full path; `count` limits the rule to the next N
        matching requests; `probability` fires it on a random share of them (seeded rng).
        """
        if status is None and not drop and not delay:
            raise ValueError("a fault needs a status, drop=True or a delay")
        fault = Fault(
            path=re.compile(path),
            method=method.upper() if method else None,
            status=status,
            drop=drop,
            delay=delay,
            count=count,
            probability=probability,
        )
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def __len__(self) -> int:
        return len(self._rules)

    def take(self, method: str, path: str) -> Fault | None:
        """The rule firing on this request, if any, consuming one of its `count`."""
        if not self._rules:
            return None
        with self._lock:
            for fault in self._rules:
                if not fault.matches(method, path):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._rules.remove(fault)
                return fault
        return None
