"""Policy file -> `LoadedPolicy`: all problems at once as `file:line:col: message`; warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputErrors
from ..yamlsource import Document, MarkedDict, load_file, load_text, pydantic_problems
from .model import CALL_RECORD_FIELDS, Policy

Loc = tuple[str | int, ...]


@dataclass
class LoadedPolicy:
    """A valid policy and where its parts are in the file (for errors found later)."""

    policy: Policy
    path: str
    document: Document | None = None
    warnings: list[str] = field(default_factory=list)

    def where(self, loc: Loc, *, at_key: bool = False) -> str:
        """`file:line:col` of `loc` (of its key with `at_key`); a dotted path without a file."""
        if self.document is not None:
            mark = self.document.key_mark(loc) if at_key else self.document.locate(loc)
            return f"{self.path}:{mark}"
        return f"{self.path}:{'.'.join(str(p) for p in loc) or '(document)'}"

    def error(self, loc: Loc, message: str, *, at_key: bool = False) -> str:
        return f"{self.where(loc, at_key=at_key)}: {message}"


def load_policy(path: str | Path) -> LoadedPolicy:
    """Read, parse and validate a policy file; raise InputErrors listing every problem."""
    return _validate(load_file(path))


def load_policy_text(text: str, path: str = "policy.yml") -> LoadedPolicy:
    return _validate(load_text(text, path))


def from_model(policy: Policy, path: str = "<policy>") -> LoadedPolicy:
    """A policy built in code (tests, `dump`), with the same warnings as a file."""
    loaded = LoadedPolicy(policy, path)
    loaded.warnings = _warnings(loaded)
    return loaded


def _validate(doc: Document) -> LoadedPolicy:
    data = doc.data
    if data is None:
        raise InputErrors([f"{doc.path}:1:1: the policy is empty: it needs at least `version: 1`"])
    if not isinstance(data, dict):
        message = "the policy must be a mapping (version, features, tenants, safety)"
        raise InputErrors([doc.error((), message)])
    problems = _duplicate_tenants(doc)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = pydantic_problems(doc, exc) + problems
    if problems:
        raise InputErrors(_in_file_order(doc.path, problems))
    loaded = LoadedPolicy(policy, doc.path, doc)
    loaded.warnings = _warnings(loaded)
    return loaded


def _duplicate_tenants(doc: Document) -> list[str]:
    """The same `tenant:` twice would make two sets of rules fight over one tenant."""
    tenants = doc.data.get("tenants")
    if not isinstance(tenants, list):
        return []
    problems = []
    first_line: dict[str, int] = {}
    for i, entry in enumerate(tenants):
        if not isinstance(entry, MarkedDict) or not isinstance(entry.get("tenant"), str):
            continue
        name = entry["tenant"]
        loc: Loc = ("tenants", i, "tenant")
        if name in first_line:
            problems.append(
                doc.error(
                    loc, f"duplicate tenant {name!r} (first listed at line {first_line[name]})"
                )
            )
        else:
            first_line[name] = doc.locate(loc).line
    return problems


def _in_file_order(path: str, problems: list[str]) -> list[str]:
    def key(problem: str) -> tuple[int, int]:
        line, column, _ = problem[len(path) + 1 :].split(":", 2)
        return int(line), int(column)

    return sorted(problems, key=key)


def _warnings(loaded: LoadedPolicy) -> list[str]:
    policy = loaded.policy
    callrecord = policy.features.callrecord if policy.features else None
    if callrecord is None or not callrecord.enabled:
        return []
    for tenant in policy.tenants:
        if tenant.users is None:
            continue
        settings = [tenant.users.defaults] + [rule.set for rule in tenant.users.rules]
        if any(s is not None and set(s.managed()) & set(CALL_RECORD_FIELDS) for s in settings):
            message = (
                f"warning: *26 is enabled (features.callrecord) and tenant {tenant.tenant!r} "
                "manages users' call_record_* flags: users can flip these with *26 "
                "and every sync will fight them"
            )
            return [loaded.error(("features", "callrecord", "enabled"), message)]
    return []
