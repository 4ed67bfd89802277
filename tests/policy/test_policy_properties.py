"""Laws of the core, over generated stacks and policies (hypothesis).

- apply(plan) then plan again: no changes;
- dump then plan: no changes;
- applying a plan never touches a field, key or object the policy does not manage;
- a `match.groups` rule selects exactly the users the groups list as members.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wazo_rec_tools.policy.dump import dump_policy
from wazo_rec_tools.policy.inventory import (
    CallRecordExtension,
    Group,
    Inventory,
    Queue,
    Retention,
    Tenant,
    User,
)
from wazo_rec_tools.policy.load import from_model, load_policy_text
from wazo_rec_tools.policy.model import USER_FIELDS, Policy
from wazo_rec_tools.policy.plan import Plan, build_plan
from wazo_rec_tools.policy.resolve import Desired, resolve

TENANTS = [
    Tenant("00000000-0000-4000-8000-00000000000a", "acme", "ACME"),
    Tenant("00000000-0000-4000-8000-00000000000b", "no", "true"),  # YAML-looking names
]
# names chosen to collide: case, globs, YAML 1.1 booleans, empty values
USERNAMES = ["alice", "Alice", "bob", "no", "true", "a*b", "[x", "1234", None, None]
EMAILS = ["alice@acme.example", "ALICE@acme.example", "bob@x.example", "no", None, None]
LABELS = ["Sales", "sales", "Support", "no", "[G]", ""]
QUEUE_NAMES = ["support", "sales", "q-1", "Support"]
QUEUE_LABELS = ["Support", "support", "sales", "", "Q"]
DTMF = ["*3", "*4", "#9", "*33"]

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def uuid(kind: int, n: int) -> str:
    return f"{kind:08d}-0000-4000-8000-{n:012d}"


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    users, groups, queues, retention = [], [], [], {}
    for tenant in TENANTS:
        tenant_groups = []
        for _ in range(draw(st.integers(0, 4))):
            n = len(groups) + 1
            group = Group(
                uuid(1, n),
                n,
                tenant.uuid,
                draw(st.sampled_from(LABELS)),
                f"grp-{tenant.slug}-{n}",
                draw(st.booleans()),
                draw(st.booleans()),
            )
            groups.append(group)
            tenant_groups.append(group)
        names = draw(st.lists(st.sampled_from(QUEUE_NAMES), unique=True, max_size=3))
        for name in names:
            n = len(queues) + 1
            queues.append(
                Queue(
                    n, tenant.uuid, name, draw(st.sampled_from(QUEUE_LABELS)), draw(st.booleans())
                )
            )
        for _ in range(draw(st.integers(0, 12))):
            n = len(users) + 1
            users.append(
                User(
                    n,
                    uuid(2, n),
                    tenant.uuid,
                    draw(st.sampled_from(USERNAMES)),
                    draw(st.sampled_from(EMAILS)),
                    "First",
                    "Last",
                    *draw(st.lists(st.booleans(), min_size=5, max_size=5)),
                )
            )
            # membership is on the groups' side, as confd lists it (`members.users`)
            for group in draw(
                st.lists(st.sampled_from(tenant_groups), unique_by=id)
                if tenant_groups
                else st.just([])
            ):
                group.members += (uuid(2, n),)
        cdr = draw(st.none() | st.integers(0, 400))
        recording = draw(st.none() | st.integers(0, cdr if cdr is not None else 400))
        retention[tenant.uuid] = Retention(cdr, recording, draw(st.none() | st.integers(0, 9)))
    togglerecord = draw(st.sampled_from(DTMF)) + ",self,AGI(agi://${WAZO_AGID_IP}/call_recording)"
    return Inventory(
        tenants=TENANTS,
        users=users,
        groups=groups,
        queues=queues,
        callrecord=CallRecordExtension(
            uuid(3, 1), draw(st.sampled_from(["*26", "*27"])), draw(st.booleans())
        ),
        applicationmap={"togglerecord": togglerecord, "other": "*7,self,Noop()"},
        retention=retention,
    )


def some_fields(draw: st.DrawFn, min_size: int = 0) -> dict[str, bool]:
    names = draw(st.lists(st.sampled_from(USER_FIELDS), unique=True, min_size=min_size))
    return {name: draw(st.booleans()) for name in names}


def patterns(stack: Inventory, tenant: Tenant) -> list[str]:
    """Exact names that exist in the tenant, and a few globs."""
    existing = [
        value
        for u in stack.users
        if u.tenant_uuid == tenant.uuid
        for value in (u.username, u.email, u.uuid)
        if value and value.strip() and not any(c in value for c in "*?[")
    ]
    return [*existing, "*", "a*", "*@acme.example", "?o*"]


@st.composite
def policies(draw: st.DrawFn, stack: Inventory) -> Policy:
    document: dict[str, Any] = {"version": 1, "safety": {"max_change_percent": 100}}
    features: dict[str, Any] = {}
    if draw(st.booleans()):
        features["callrecord"] = {"enabled": draw(st.booleans())}
        if draw(st.booleans()):
            features["callrecord"]["exten"] = draw(st.sampled_from(["*26", "*27", "*28"]))
    if draw(st.booleans()):
        features["togglerecord"] = {"exten": draw(st.sampled_from(DTMF))}
    if features or draw(st.booleans()):
        document["features"] = features
    tenants = []
    for tenant in draw(st.lists(st.sampled_from(TENANTS), unique=True)):
        section: dict[str, Any] = {"tenant": draw(st.sampled_from([tenant.uuid, tenant.slug]))}
        if draw(st.booleans()):
            section["users"] = _users_section(draw, stack, tenant)
        for kind, objects, key in (
            ("groups", [g for g in stack.groups if g.tenant_uuid == tenant.uuid], _group_key),
            ("queues", [q for q in stack.queues if q.tenant_uuid == tenant.uuid], _queue_key),
        ):
            if draw(st.booleans()):
                part: dict[str, Any] = {}
                if draw(st.booleans()):
                    part["defaults"] = {"dtmf_record_toggle": draw(st.booleans())}
                listed = draw(st.lists(st.sampled_from(objects), unique_by=id)) if objects else []
                part["items"] = {
                    key(o, objects): {"dtmf_record_toggle": draw(st.booleans())} for o in listed
                }
                section[kind] = part
        if draw(st.booleans()):
            section["retention"] = _retention(draw, stack.retention[tenant.uuid])
        tenants.append(section)
    document["tenants"] = tenants
    return Policy.model_validate(document)


def _users_section(draw: st.DrawFn, stack: Inventory, tenant: Tenant) -> dict[str, Any]:
    section: dict[str, Any] = {}
    defaults = some_fields(draw)
    if defaults:
        section["defaults"] = defaults
    tenant_groups = [g for g in stack.groups if g.tenant_uuid == tenant.uuid]
    labels = sorted({g.label for g in tenant_groups if g.label} | {g.uuid for g in tenant_groups})
    names = patterns(stack, tenant)
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        match: dict[str, Any] = {}
        if labels and draw(st.booleans()):
            match["groups"] = draw(st.lists(st.sampled_from(labels), min_size=1, max_size=2))
        if not match or draw(st.booleans()):
            match["users"] = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
        rules.append({"match": match, "set": some_fields(draw, min_size=1)})
    section["rules"] = rules
    return section


def _retention(draw: st.DrawFn, current: Retention) -> dict[str, int]:
    wanted = {
        key: draw(st.integers(0, 400))
        for key in draw(
            st.lists(st.sampled_from(["cdr_days", "recording_days", "export_days"]), unique=True)
        )
    }
    effective = {**current.as_dict(), **wanted}
    cdr, recording = effective["cdr_days"], effective["recording_days"]
    if cdr is not None and recording is not None and recording > cdr:
        if "recording_days" in wanted:
            wanted["recording_days"] = cdr
        else:
            wanted["cdr_days"] = recording
    return wanted


def _group_key(group: Group, groups: list[Group]) -> str:
    unique = [g.label for g in groups].count(group.label) == 1
    return group.label if group.label and unique else group.uuid


def _queue_key(queue: Queue, queues: list[Queue]) -> str:
    return queue.name


def apply_in_memory(plan: Plan, stack: Inventory) -> None:
    """What confd and call-logd do with the plan's bodies, quirks included."""
    users = {u.uuid: u for u in stack.users}
    groups = {g.uuid: g for g in stack.groups}
    queues = {q.id: q for q in stack.queues}
    for change in plan.changes:
        body = change.body()
        if change.kind == "user":
            assert "call_record_enabled" not in body
            for name, value in body.items():
                setattr(users[change.object_id], name, value)
        elif change.kind == "group":
            group = groups[change.object_id]
            group.dtmf_record_toggle = body.get("dtmf_record_toggle", group.dtmf_record_toggle)
            group.ignore_forward = bool(
                body.get("ignore_forward")
            )  # docs/wazo-api.md, confd §3 reset
        elif change.kind == "queue":
            for name, value in body.items():
                setattr(queues[change.object_id], name, value)
        elif change.kind == "feature":
            assert stack.callrecord is not None
            for name, value in body.items():
                setattr(stack.callrecord, name, value)
        elif change.kind == "applicationmap":
            stack.applicationmap = dict(body["options"])  # full replacement
        elif change.kind == "retention":
            stack.retention[change.object_id] = Retention(  # omitted keys become null
                body.get("cdr_days"), body.get("recording_days"), body.get("export_days")
            )


def plan_for(policy: Policy, stack: Inventory) -> tuple[Desired, Plan]:
    desired = resolve(from_model(policy), stack)
    return desired, build_plan(desired)


@st.composite
def stacks_and_policies(draw: st.DrawFn) -> tuple[Inventory, Policy]:
    stack = draw(inventories())
    return stack, draw(policies(stack))


@SETTINGS
@given(stacks_and_policies())
def test_applying_the_plan_converges(case):
    stack, policy = case
    _, plan = plan_for(policy, stack)
    apply_in_memory(plan, stack)
    assert plan_for(policy, stack)[1].changes == ()


@SETTINGS
@given(stacks_and_policies())
def test_applying_the_plan_touches_only_what_the_policy_manages(case):
    stack, policy = case
    before = copy.deepcopy(stack)
    desired, plan = plan_for(policy, stack)
    apply_in_memory(plan, stack)
    managed = {d.user.uuid: set(d.settings) for t in desired.tenants for d in t.users}
    for old, new in zip(before.users, stack.users, strict=True):
        for name in USER_FIELDS:
            if name not in managed.get(old.uuid, ()):
                assert getattr(new, name) == getattr(old, name), (old.display, name)
    managed_groups = {g.uuid for t in desired.tenants for g, _ in t.groups}
    for old, new in zip(before.groups, stack.groups, strict=True):
        assert new.ignore_forward == old.ignore_forward
        if old.uuid not in managed_groups:
            assert new == old
    managed_queues = {q.id for t in desired.tenants for q, _ in t.queues}
    for old, new in zip(before.queues, stack.queues, strict=True):
        if old.id not in managed_queues:
            assert new == old
    assert stack.applicationmap["other"] == before.applicationmap["other"]
    togglerecord = stack.applicationmap["togglerecord"].split(",", 1)[1]
    assert togglerecord == before.applicationmap["togglerecord"].split(",", 1)[1]
    for state in desired.tenants:
        unset = set(("cdr_days", "recording_days", "export_days")) - set(state.retention or ())
        for key in unset:
            uuid_ = state.tenant.uuid
            assert getattr(stack.retention[uuid_], key) == getattr(before.retention[uuid_], key)


@SETTINGS
@given(inventories())
def test_plan_after_dump_is_empty(stack):
    text = dump_policy(stack).yaml()
    desired = resolve(load_policy_text(text, "dump.yml"), stack)
    assert build_plan(desired).changes == ()


@SETTINGS
@given(inventories(), st.data())
def test_a_group_rule_selects_exactly_the_groups_members(stack, data):
    groups = [g for g in stack.groups if g.tenant_uuid == TENANTS[0].uuid]
    assume(groups)
    chosen = data.draw(st.lists(st.sampled_from(groups), unique_by=id, min_size=1))
    rule = {"match": {"groups": [g.uuid for g in chosen]}, "set": {USER_FIELDS[0]: True}}
    policy = Policy.model_validate(
        {"version": 1, "tenants": [{"tenant": "acme", "users": {"rules": [rule]}}]}
    )
    desired = resolve(from_model(policy), stack)
    selected = {d.user.uuid for d in desired.tenants[0].users}
    assert selected == {m for g in chosen for m in g.members}
    assert desired.tenants[0].selections[0].users == len(selected)
