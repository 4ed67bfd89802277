"""Inventory -> a policy describing the stack as it is (the adoption path).

The guarantee: `plan` right after `dump` is empty. Per tenant, the users' `defaults` are the
most common value of each field; then one rule per group (of two members or more) whose
members all share a value that differs from the default; then one rule per set of users with
the same remaining overrides, naming them by username when that is unambiguous, else by uuid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import UserError
from .inventory import Group, Inventory, Queue, Tenant, User, by_tenant
from .model import DTMF, FEATURE_EXTEN, POLICY_VERSION, USER_FIELDS, is_glob

HEADER = (
    "# Written by `wazo-rec dump`: the recording settings of the stack as they are.\n"
    "# `wazo-rec plan` against this file shows no changes; edit it, then plan and apply.\n"
)


class _Flow(dict):
    """A mapping written on one line (`{users: [alice], ...}`), as in policy.example.yml."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
)


@dataclass
class Dump:
    policy: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # what the policy could not express

    def yaml(self) -> str:
        text = yaml.dump(
            self.policy, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
        )
        return HEADER + text


def dump_policy(inventory: Inventory, tenants: Iterable[Tenant] | None = None) -> Dump:
    """A policy for `tenants` (default: every tenant of the inventory with something to say)."""
    result = Dump({"version": POLICY_VERSION})
    features = _features(inventory, result.notes)
    if features:
        result.policy["features"] = features
    users = by_tenant(inventory.users)
    groups = by_tenant(inventory.groups)
    queues = by_tenant(inventory.queues)
    sections = []
    for tenant in inventory.tenants if tenants is None else tenants:
        section: dict[str, Any] = {"tenant": _tenant_ref(tenant, inventory.tenants)}
        tenant_groups = groups.get(tenant.uuid, [])
        if users.get(tenant.uuid):
            section["users"] = _users(users[tenant.uuid], tenant_groups)
        if tenant_groups:
            section["groups"] = _toggles(tenant_groups, _group_key)
        if queues.get(tenant.uuid):
            section["queues"] = _toggles(queues[tenant.uuid], _queue_key)
        retention = inventory.retention.get(tenant.uuid)
        kept = {
            k: v for k, v in (retention.as_dict() if retention else {}).items() if v is not None
        }
        if kept:
            section["retention"] = _Flow(kept)
        if len(section) > 1:
            sections.append(section)
    result.policy["tenants"] = sections
    result.policy["safety"] = _Flow(max_change_percent=30)
    return result


def _features(inventory: Inventory, notes: list[str]) -> dict[str, Any]:
    features: dict[str, Any] = {}
    feature = inventory.callrecord
    if feature is not None:
        callrecord: dict[str, Any] = _Flow(enabled=feature.enabled)
        if FEATURE_EXTEN.fullmatch(feature.exten):
            callrecord["exten"] = feature.exten
        else:
            notes.append(f"callrecord exten {feature.exten!r} is not a valid exten: left unmanaged")
        features["callrecord"] = callrecord
    options = inventory.applicationmap
    if options is not None and "togglerecord" in options:
        dtmf = options["togglerecord"].split(",", 1)[0]
        if DTMF.fullmatch(dtmf):
            features["togglerecord"] = _Flow(exten=dtmf)
        else:
            notes.append(f"togglerecord key {dtmf!r} is not a DTMF sequence: left unmanaged")
    return features


def _tenant_ref(tenant: Tenant, tenants: list[Tenant]) -> str:
    """The slug when it names only this tenant (uuid > slug > name precedence), else the uuid."""
    slug = tenant.slug
    if (
        slug
        and not any(t.uuid == slug for t in tenants)
        and [t.slug for t in tenants].count(slug) == 1
    ):
        return slug
    return tenant.uuid


def _most_common(values: Iterable[bool]) -> bool:
    counted = Counter(values)
    return counted[True] > counted[False]  # a tie goes to false, the factory default


def _users(users: list[User], groups: list[Group]) -> dict[str, Any]:
    defaults = {f: _most_common(getattr(u, f) for u in users) for f in USER_FIELDS}
    rules: list[dict[str, Any]] = []

    # groups whose members (as the groups list them) all agree on a value other than the default
    expected = [dict(defaults) for _ in users]
    position = {u.uuid: i for i, u in enumerate(users)}
    for key, group in sorted(((_group_key(g, groups), g) for g in groups), key=lambda kg: kg[0]):
        members = sorted({position[m] for m in group.members if m in position})
        if len(members) < 2:
            continue
        shared = {}
        for f in USER_FIELDS:
            values = {getattr(users[i], f) for i in members}
            if len(values) == 1 and (value := values.pop()) != defaults[f]:
                shared[f] = value
        if shared:
            rules.append({"match": _Flow(groups=[key]), "set": _Flow(shared)})
            for i in members:
                expected[i].update(shared)

    # then each set of users with the same remaining overrides
    overrides: dict[tuple[tuple[str, bool], ...], list[User]] = {}
    for user, wanted in zip(users, expected, strict=True):
        residual = tuple(
            (f, getattr(user, f)) for f in USER_FIELDS if getattr(user, f) != wanted[f]
        )
        if residual:
            overrides.setdefault(residual, []).append(user)
    names = _UserNames(users)
    for residual, members in sorted(overrides.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        refs = sorted(names.ref(u) for u in members)
        rules.append({"match": _Flow(users=refs), "set": _Flow(residual)})

    section: dict[str, Any] = {"defaults": defaults}
    if rules:
        section["rules"] = rules
    return section


class _UserNames:
    """How to name a user so that the name matches that user only (resolve.py's matching)."""

    def __init__(self, users: list[User]):
        self.count = Counter(v.lower() for u in users for v in (u.username, u.email, u.uuid) if v)

    def ref(self, user: User) -> str:
        name = user.username
        if name and name.strip() and not is_glob(name) and self.count[name.lower()] == 1:
            return name
        return user.uuid


def _toggles(objects: list[Any], key: Any) -> dict[str, Any]:
    default = _most_common(o.dtmf_record_toggle for o in objects)
    items = {
        key(o, objects): _Flow(dtmf_record_toggle=o.dtmf_record_toggle)
        for o in objects
        if o.dtmf_record_toggle != default
    }
    section: dict[str, Any] = {"defaults": _Flow(dtmf_record_toggle=default)}
    if items:
        section["items"] = dict(sorted(items.items()))
    return section


def _group_key(group: Group, groups: list[Group]) -> str:
    """The label when it names this group only (uuid > name > label precedence), else the uuid."""
    label = group.label
    if (
        label.strip()
        and sum(g.label == label for g in groups) == 1
        and not any(label in (g.uuid, g.name) for g in groups)
    ):
        return label
    return group.uuid


def _queue_key(queue: Queue, queues: list[Queue]) -> str:
    """The name (unique in confd) when usable, else the label when it names this queue only."""
    if queue.name.strip() and sum(q.name == queue.name for q in queues) == 1:
        return queue.name
    label = queue.label
    unique = sum(q.label == label for q in queues) == 1
    if label.strip() and unique and not any(q.name == label for q in queues):
        return label
    raise UserError(f"queue {queue.id} has no unique name or label: the policy cannot name it")
