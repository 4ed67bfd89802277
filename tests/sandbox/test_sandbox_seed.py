"""The seed: deterministic, realistic, consistent, and fast enough for big stacks."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from wazo_rec_tools.sandbox import SeedSpec, Store
from wazo_rec_tools.sandbox.seed import seed

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def seeded(**spec) -> Store:
    store = Store()
    seed(store, SeedSpec(now=NOW, **spec))
    return store


def test_same_spec_gives_the_same_stack() -> None:
    first, second = seeded(), seeded()
    assert first.tenants == second.tenants
    assert first.confd.users == second.confd.users
    assert first.confd.groups == second.confd.groups


def test_another_seed_gives_another_stack() -> None:
    assert seeded(seed=1).confd.users != seeded(seed=2).confd.users


def test_sub_tenants_are_named_acme_globex_then_numbered() -> None:
    store = seeded(tenants=3)
    slugs = {t["slug"] for t in store.tenants.values()}
    assert slugs == {"master", "acme", "globex", "tenant3"}
    master = store.master_tenant_uuid
    assert store.visible_tenants(master) == set(store.tenants)
    assert store.visible_tenants(store.tenant("acme")["uuid"]) == {store.tenant("acme")["uuid"]}


def test_admins_exist_for_every_tenant() -> None:
    store = seeded()
    usernames = {u["username"]: u for u in store.auth.users.values()}
    assert usernames["root"]["tenant_uuid"] == store.master_tenant_uuid
    assert usernames["admin-acme"]["tenant_uuid"] == store.tenant("acme")["uuid"]
    assert store.auth.user_acl(usernames["admin-globex"]["uuid"]) == ["#"]


def test_users_have_unique_usernames_emails_and_one_extension() -> None:
    store = seeded(users=400)
    users = list(store.confd.users.values())
    assert len({u["username"] for u in users}) == 400
    for user in users:
        slug = store.tenants[user["tenant_uuid"]]["slug"]
        assert user["email"] == f"{user['username']}@{slug}.example.com"
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*", user["username"])
        [line] = user["lines"]
        [extension] = line["extensions"]
        assert int(extension["exten"]) >= 1000
        assert extension["context"] == f"{slug}-internal"


def test_about_a_third_of_each_recording_flag_is_on() -> None:
    users = list(seeded(users=1000).confd.users.values())
    for flag in ("call_record_outgoing_external_enabled", "online_call_record_enabled"):
        share = sum(u[flag] for u in users) / len(users)
        assert 0.2 < share < 0.4


def test_group_members_match_user_groups() -> None:
    store = seeded(users=200)
    from_users = {
        (group["id"], user["uuid"])
        for user in store.confd.users.values()
        for group in user["groups"]
    }
    from_groups = {
        (group["id"], member["uuid"])
        for group in store.confd.groups.values()
        for member in group["members"]["users"]
    }
    assert from_users == from_groups
    assert all(len(u["groups"]) <= 2 for u in store.confd.users.values())


def test_users_join_only_groups_of_their_tenant() -> None:
    store = seeded(users=100)
    for user in store.confd.users.values():
        for ref in user["groups"]:
            assert store.confd.groups[ref["id"]]["tenant_uuid"] == user["tenant_uuid"]


def test_groups_and_queues_have_the_spec_names() -> None:
    store = seeded(groups_per_tenant=4, queues_per_tenant=3)
    acme = store.tenant("acme")["uuid"]
    labels = [g["label"] for g in store.confd.groups.values() if g["tenant_uuid"] == acme]
    assert labels == ["Sales", "Support", "Accounting", "Group 4"]
    queues = [
        (q["name"], q["label"]) for q in store.confd.queues.values() if q["tenant_uuid"] == acme
    ]
    assert queues == [("support", "Support"), ("sales", "Sales"), ("queue-3", "Queue-3")]
    assert any(g["ignore_forward"] for g in store.confd.groups.values())


def test_factory_features_and_asterisk_maps() -> None:
    store = seeded()
    features = {f["feature"]: f for f in store.confd.extension_features.values()}
    assert (features["callrecord"]["exten"], features["callrecord"]["enabled"]) == ("*26", False)
    assert features["recsnd"]["exten"] == "*9"
    assert features["fwdunc"]["exten"] == "_*21."
    assert store.confd.applicationmap["togglerecord"].startswith("*3,self,")
    assert store.confd.featuremap == {"blindxfer": "*1", "disconnect": "*0", "atxfer": "*2"}


def test_no_users_in_zero_tenants_goes_to_the_master_tenant() -> None:
    store = seeded(tenants=0, users=3)
    assert {u["tenant_uuid"] for u in store.confd.users.values()} == {store.master_tenant_uuid}
