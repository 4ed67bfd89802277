"""Policy + inventory -> desired state, with the origin of every desired value.

Rules:
- a tenant is named by uuid, slug or name (in that order of precedence);
- a user's fields come from `defaults`, then each matching rule in order, later rules
  winning field by field; a field nobody sets is not managed, a user nothing matches is
  left alone;
- `match.users` patterns are fnmatch globs compared, case-insensitively, with the username,
  the e-mail and the uuid; `match.groups` name groups by uuid, name or label (exact), and select
  their members as the groups list them (`members.users`, docs/wazo-api.md, confd §3); with both
  keys a user must match a pattern AND be in one of the groups;
- group items are named by uuid, name or label; queue items by name or label; a label
  shared by several objects names all of them;
- naming something that does not exist is an error; a glob matching nobody, a group without
  members and a rule that selects nobody are warnings.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputErrors, UserError
from ..retention_rule import order_problem
from .inventory import (
    CallRecordExtension,
    Group,
    Inventory,
    Queue,
    Retention,
    Tenant,
    User,
    by_tenant,
)
from .load import LoadedPolicy, Loc
from .model import CALL_RECORD_FIELDS, USER_FIELDS, TenantPolicy, ToggleSettings, is_glob

Setting = tuple[Any, str]  # (desired value, origin such as "defaults" or "rule 2")
Settings = dict[str, Setting]


@dataclass(slots=True)
class DesiredUser:
    user: User
    settings: Settings  # shared between users matched by the same rules
    matched: tuple[str, ...]  # origins that matched, in order ("defaults", "rule 1", ...)


@dataclass(frozen=True, slots=True)
class Selection:
    """How many users of its tenant a `defaults` or a rule selects."""

    origin: str  # "defaults", "rule 1", ...
    loc: Loc  # where it is in the policy
    match: str  # the rule's match as written ("" for defaults)
    users: int


@dataclass
class DesiredTenant:
    tenant: Tenant
    index: int  # position in the policy's `tenants`
    users: list[DesiredUser] = field(default_factory=list)
    selections: list[Selection] = field(default_factory=list)
    groups: list[tuple[Group, Settings]] = field(default_factory=list)
    queues: list[tuple[Queue, Settings]] = field(default_factory=list)
    retention: Settings | None = None
    current_retention: Retention = field(default_factory=Retention)


@dataclass
class Desired:
    """What the stack should look like, next to what it is (the inventory objects)."""

    tenants: list[DesiredTenant]
    callrecord: Settings | None = None
    current_callrecord: CallRecordExtension | None = None
    togglerecord: Setting | None = None  # the DTMF of applicationmap togglerecord
    applicationmap: dict[str, str] | None = None
    max_change_percent: float = 30
    warnings: list[str] = field(default_factory=list)


def resolve(loaded: LoadedPolicy, inventory: Inventory, *, tenant: str | None = None) -> Desired:
    """The desired state; InputErrors (located in the policy) for names that do not resolve.

    `tenant` limits the result to that tenant of the policy (global features are left out).
    """
    policy = loaded.policy
    problems: list[str] = []
    desired = Desired([], max_change_percent=policy.safety.max_change_percent)
    desired.warnings.extend(loaded.warnings)

    only = find_tenant(inventory.tenants, tenant).uuid if tenant is not None else None
    users = by_tenant(inventory.users)
    groups = by_tenant(inventory.groups)
    queues = by_tenant(inventory.queues)
    seen: dict[str, int] = {}
    for i, tenant_policy in enumerate(policy.tenants):
        loc: Loc = ("tenants", i, "tenant")
        try:
            found = find_tenant(inventory.tenants, tenant_policy.tenant)
        except UserError as exc:
            problems.append(loaded.error(loc, str(exc)))
            continue
        if found.uuid in seen:
            first = policy.tenants[seen[found.uuid]].tenant
            problems.append(
                loaded.error(
                    loc, f"tenant {tenant_policy.tenant!r} is the same tenant as {first!r}"
                )
            )
            continue
        seen[found.uuid] = i
        if only is not None and found.uuid != only:
            continue
        scope = _TenantScope(
            loaded,
            i,
            found,
            users.get(found.uuid, []),
            groups.get(found.uuid, []),
            queues.get(found.uuid, []),
            problems,
            desired.warnings,
        )
        desired.tenants.append(scope.resolve(tenant_policy, inventory.retention.get(found.uuid)))
    if only is not None and only not in seen:
        raise UserError(f"tenant {tenant!r} is not in the policy {loaded.path}")

    if policy.features is not None and only is None:
        _resolve_features(loaded, inventory, desired, problems)
    _warn_star26_on_stack(loaded, inventory, desired)
    if problems:
        raise InputErrors(problems)
    return desired


def selection_lines(loaded: LoadedPolicy, desired: Desired) -> list[str]:
    """`tenant acme: rule 2 {groups: [Sales]} selects 12 users (policy.yml:9:11)`, one a rule."""
    lines = []
    for state in desired.tenants:
        for s in state.selections:
            named = f"{s.origin} {s.match}" if s.match else s.origin
            users = f"{s.users} user{'' if s.users == 1 else 's'}"
            lines.append(
                f"tenant {state.tenant.display}: {named} selects {users} ({loaded.where(s.loc)})"
            )
    return lines


def find_tenant(tenants: list[Tenant], ref: str) -> Tenant:
    for attribute in ("uuid", "slug", "name"):
        found = [t for t in tenants if getattr(t, attribute) == ref]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UserError(f"tenant {ref!r} is ambiguous: several tenants have that {attribute}")
    raise UserError(f"unknown tenant {ref!r} (not a uuid, slug or name of a visible tenant)")


class _TenantScope:
    """Resolution of one tenant's section against that tenant's objects."""

    def __init__(
        self,
        loaded: LoadedPolicy,
        index: int,
        tenant: Tenant,
        users: list[User],
        groups: list[Group],
        queues: list[Queue],
        problems: list[str],
        warnings: list[str],
    ):
        self.loaded = loaded
        self.index = index
        self.tenant = tenant
        self.users = users
        self.groups = groups
        self.queues = queues
        self.problems = problems
        self.warnings = warnings

    def error(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        full = ("tenants", self.index, *loc)
        self.problems.append(self.loaded.error(full, message, at_key=at_key))

    def resolve(self, policy: TenantPolicy, retention: Retention | None) -> DesiredTenant:
        result = DesiredTenant(self.tenant, self.index)
        if policy.users is not None:
            result.users, result.selections = self._users(policy)
        if policy.groups is not None:
            result.groups = self._toggles(
                "groups", policy.groups.defaults, policy.groups.items, self.groups, _group_keys
            )
        if policy.queues is not None:
            result.queues = self._toggles(
                "queues", policy.queues.defaults, policy.queues.items, self.queues, _queue_keys
            )
        result.current_retention = retention or Retention()
        if policy.retention is not None and policy.retention.managed():
            result.retention = self._retention(policy.retention.managed(), result.current_retention)
        return result

    # -- users ---------------------------------------------------------------------------------

    def _users(self, policy: TenantPolicy) -> tuple[list[DesiredUser], list[Selection]]:
        assert policy.users is not None
        layers: list[tuple[str, dict[str, bool], set[int] | None]] = []  # None: every user
        selections: list[Selection] = []
        if policy.users.defaults is not None and policy.users.defaults.managed():
            layers.append(("defaults", policy.users.defaults.managed(), None))
            at: Loc = ("tenants", self.index, "users", "defaults")
            selections.append(Selection("defaults", at, "", len(self.users)))
        index = _UserIndex(self.users)
        for r, rule in enumerate(policy.users.rules):
            loc: Loc = ("users", "rules", r, "match")
            said = len(self.problems) + len(self.warnings)
            selected: set[int] | None = None
            if rule.match.users:
                selected = set()
                for p, pattern in enumerate(rule.match.users):
                    hits = index.matching(pattern)
                    if not hits:
                        self._nobody((*loc, "users", p), pattern)
                    selected |= hits
            if rule.match.groups:
                members: set[int] = set()
                for g, ref in enumerate(rule.match.groups):
                    found = [self.groups[i] for i in _by_precedence(self.groups, ref, _group_keys)]
                    if not found:
                        self.error((*loc, "groups", g), self._unknown_group(ref))
                        continue
                    hits = index.members(found)
                    if not hits:
                        self.warn(
                            (*loc, "groups", g), f"group {ref!r} {self._where} has no members"
                        )
                    members |= hits
                selected = members if selected is None else selected & members
            origin = f"rule {r + 1}"
            if (
                selected is not None
                and not selected
                and said == len(self.problems) + len(self.warnings)
            ):
                self.warn(loc, f"{origin} matches no user {self._where}")
            full: Loc = ("tenants", self.index, "users", "rules", r)
            count = len(self.users) if selected is None else len(selected)
            selections.append(Selection(origin, full, _match_text(rule.match), count))
            layers.append((origin, rule.set.managed(), selected))

        merged: dict[tuple[int, ...], tuple[Settings, tuple[str, ...]]] = {}
        desired: list[DesiredUser] = []
        for u, user in enumerate(self.users):
            key = tuple(i for i, (_, _, sel) in enumerate(layers) if sel is None or u in sel)
            if not key:
                continue
            if key not in merged:
                settings: Settings = {}
                for i in key:
                    origin, values, _ = layers[i]
                    for name, value in values.items():
                        settings[name] = (value, origin)
                settings = {f: settings[f] for f in USER_FIELDS if f in settings}
                merged[key] = (settings, tuple(layers[i][0] for i in key))
            settings, origins = merged[key]
            desired.append(DesiredUser(user, settings, origins))
        return desired, selections

    @property
    def _where(self) -> str:
        return f"in tenant {self.tenant.display!r}"

    def warn(self, loc: Loc, message: str) -> None:
        full = ("tenants", self.index, *loc)
        self.warnings.append(self.loaded.error(full, f"warning: {message}"))

    def _nobody(self, loc: Loc, pattern: str) -> None:
        if is_glob(pattern):
            self.warn(loc, f"pattern {pattern!r} matches no user {self._where}")
        else:
            self.error(loc, f"unknown user {pattern!r} {self._where} (by username, e-mail or uuid)")

    def _unknown_group(self, ref: str) -> str:
        message = f"unknown group {ref!r} {self._where}"
        close = sorted({g.label for g in self.groups if g.label.lower() == ref.lower()})
        return f"{message} (did you mean {close[0]!r}?)" if close else message

    # -- groups and queues ------------------------------------------------------------------------

    def _toggles(
        self,
        section: str,
        defaults: ToggleSettings | None,
        items: dict[str, ToggleSettings],
        objects: list[Any],
        keys: Callable[[Any], Iterable[str]],
    ) -> list[tuple[Any, Settings]]:
        base: Settings = {}
        if defaults is not None and defaults.dtmf_record_toggle is not None:
            base = {"dtmf_record_toggle": (defaults.dtmf_record_toggle, "defaults")}
        per_object: dict[int, Settings] = {}
        named_by: dict[int, str] = {}
        for key, item in items.items():
            hits = _by_precedence(objects, key, keys)
            loc: Loc = (section, "items", key)
            if not hits:
                kind = "group" if section == "groups" else "queue"
                self.error(
                    loc, f"unknown {kind} {key!r} in tenant {self.tenant.display!r}", at_key=True
                )
                continue
            for i in hits:
                if i in named_by:
                    self.error(
                        loc, f"{key!r} names the same object as {named_by[i]!r}", at_key=True
                    )
                    continue
                named_by[i] = key
                if item.dtmf_record_toggle is not None:
                    per_object[i] = {"dtmf_record_toggle": (item.dtmf_record_toggle, "items")}
        result = []
        for i, obj in enumerate(objects):
            settings = {**base, **per_object.get(i, {})}
            if settings:
                result.append((obj, settings))
        return result

    # -- retention --------------------------------------------------------------------------------

    def _retention(self, managed: dict[str, int], current: Retention) -> Settings:
        # retention_rule: the values in force after the PUT (docs/wazo-api.md, call-logd §9: it
        # carries all three keys), an unset one at its default; the same rule as `retention set`
        problem = order_problem({**current.as_dict(), **managed}, current.defaults)
        if problem:
            key = "recording_days" if "recording_days" in managed else "cdr_days"
            self.error(
                ("retention", key),
                f"{problem} (tenant {self.tenant.display!r}, values after the change; "
                "call-logd refuses it): set both",
            )
        return {k: (v, "retention") for k, v in managed.items()}


def _group_keys(group: Group) -> tuple[str, ...]:
    return group.uuid, group.name, group.label


def _queue_keys(queue: Queue) -> tuple[str, ...]:
    return queue.name, queue.label


def _by_precedence(objects: list[Any], key: str, keys: Callable[[Any], Iterable[str]]) -> list[int]:
    """Indexes of the objects named `key` by their most precise attribute that matches."""
    columns = [tuple(keys(o)) for o in objects]
    width = len(columns[0]) if columns else 0
    for position in range(width):
        hits = [i for i, values in enumerate(columns) if values[position] == key]
        if hits:
            return hits
    return []


def _match_text(match: Any) -> str:
    """A rule's match as the policy writes it: `{groups: [Sales]}`."""
    parts = [
        f"{name}: [{', '.join(values)}]"
        for name, values in (("users", match.users), ("groups", match.groups))
        if values
    ]
    return "{" + ", ".join(parts) + "}"


class _UserIndex:
    """Lookups of a tenant's users by exact name, by glob (lower-cased) and by group."""

    def __init__(self, users: list[User]):
        self.identities = [_identities(user) for user in users]
        self.exact: dict[str, set[int]] = {}
        self.by_uuid = {user.uuid: i for i, user in enumerate(users)}
        for i in range(len(users)):
            for value in self.identities[i]:
                self.exact.setdefault(value, set()).add(i)

    def matching(self, pattern: str) -> set[int]:
        """An exact name always matches itself first (a user `bob[1]` is matched by
        `bob[1]`); only a pattern naming nobody exactly is a glob (docs/policy.md)."""
        lowered = pattern.lower()
        if lowered in self.exact or not is_glob(pattern):
            return set(self.exact.get(lowered, ()))
        regex = re.compile(fnmatch.translate(lowered))
        return {i for i, names in enumerate(self.identities) if any(map(regex.match, names))}

    def members(self, groups: Iterable[Group]) -> set[int]:
        """The users the groups list as members (a member of another tenant is not one here)."""
        return {
            i
            for group in groups
            for uuid in group.members
            if (i := self.by_uuid.get(uuid)) is not None
        }


def _identities(user: User) -> list[str]:
    return [v.lower() for v in (user.username, user.email, user.uuid) if v]


# -- global features ------------------------------------------------------------------------------


def _resolve_features(
    loaded: LoadedPolicy, inventory: Inventory, desired: Desired, problems: list[str]
) -> None:
    features = loaded.policy.features
    assert features is not None
    if not inventory.master:
        problems.append(
            loaded.error(
                ("features",),
                "features are global and need a token of the master tenant (this token "
                "belongs to a sub-tenant): use a master-tenant admin, or plan with --tenant",
                at_key=True,
            )
        )
        return
    if features.callrecord is not None:
        if inventory.callrecord is None:
            problems.append(
                loaded.error(
                    ("features", "callrecord"), "the stack has no `callrecord` feature extension"
                )
            )
        else:
            origin = "features.callrecord"
            settings: Settings = {"enabled": (features.callrecord.enabled, origin)}
            if features.callrecord.exten is not None:
                settings["exten"] = (features.callrecord.exten, origin)
            desired.callrecord = settings
            desired.current_callrecord = inventory.callrecord
    if features.togglerecord is not None:
        options = inventory.applicationmap
        if options is None or "togglerecord" not in options:
            problems.append(
                loaded.error(
                    ("features", "togglerecord"),
                    "the stack's applicationmap has no `togglerecord` entry",
                )
            )
        else:
            desired.togglerecord = (features.togglerecord.exten, "features.togglerecord")
            desired.applicationmap = dict(options)


def _warn_star26_on_stack(loaded: LoadedPolicy, inventory: Inventory, desired: Desired) -> None:
    """*26 enabled on the stack (not by this policy) fights a policy on call_record_* flags."""
    features = loaded.policy.features
    if features is not None and features.callrecord is not None:
        return  # the policy decides; load.py warns when it enables *26
    if inventory.callrecord is None or not inventory.callrecord.enabled:
        return
    for tenant in desired.tenants:
        if any(set(d.settings) & set(CALL_RECORD_FIELDS) for d in tenant.users):
            desired.warnings.append(
                f"warning: *26 ({inventory.callrecord.exten}) is enabled on the stack and the "
                f"policy manages users' call_record_* flags: users can flip these with *26 "
                f"and every sync will fight them"
            )
            return
