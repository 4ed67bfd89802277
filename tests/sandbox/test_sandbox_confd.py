"""The wazo-confd emulation (docs/wazo-api.md, confd): lists, partial PUTs, quirks, global
features."""

from __future__ import annotations

import unicodedata

import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox

CONFD = "/api/confd/1.1"

FLAGS = (
    "call_record_outgoing_internal_enabled",
    "call_record_outgoing_external_enabled",
    "call_record_incoming_internal_enabled",
    "call_record_incoming_external_enabled",
)


def get(sandbox: Sandbox, session: requests.Session, path: str, **params) -> requests.Response:
    return session.get(f"{sandbox.url}{CONFD}{path}", params=params)


def put(sandbox: Sandbox, session: requests.Session, path: str, body) -> requests.Response:
    return session.put(f"{sandbox.url}{CONFD}{path}", json=body)


def test_user_list_envelope_has_total_and_full_items(
    sandbox: Sandbox, root: requests.Session
) -> None:
    listing = get(sandbox, root, "/users", recurse="true").json()
    assert set(listing) == {"total", "items"}
    assert listing["total"] == 40
    user = listing["items"][0]
    for name in (*FLAGS, "online_call_record_enabled", "call_record_enabled", "uuid", "id"):
        assert name in user
    assert user["call_record_enabled"] == all(user[flag] for flag in FLAGS)


def test_user_list_pages_add_up_to_the_whole_list(sandbox: Sandbox, root: requests.Session) -> None:
    whole = get(sandbox, root, "/users", recurse="true").json()["items"]
    pages = [
        get(sandbox, root, "/users", recurse="true", limit=7, offset=offset).json()
        for offset in range(0, 40, 7)
    ]
    assert {page["total"] for page in pages} == {40}
    assert [u["id"] for page in pages for u in page["items"]] == [u["id"] for u in whole]


def test_user_list_is_sorted_by_lastname_by_default(
    sandbox: Sandbox, root: requests.Session
) -> None:
    items = get(sandbox, root, "/users", recurse="true").json()["items"]
    lastnames = [u["lastname"].casefold() for u in items]
    assert lastnames == sorted(lastnames)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "Input Error - field 'limit': wrong type. Should be a positive number"),
        ({"order": "nope"}, "Input Error - order: column 'nope' was not found"),
        ({"direction": "up"}, "Input Error - direction: must be 'asc' or 'desc'"),
    ],
)
def test_invalid_list_parameters_are_400(
    sandbox: Sandbox, root: requests.Session, params: dict, message: str
) -> None:
    response = get(sandbox, root, "/users", **params)
    assert response.status_code == 400
    assert response.json() == [message]


def test_list_without_recurse_shows_only_the_request_tenant(
    sandbox: Sandbox, root: requests.Session
) -> None:
    acme = sandbox.store.tenant("acme")["uuid"]
    assert get(sandbox, root, "/users").json()["total"] == 0
    response = root.get(f"{sandbox.url}{CONFD}/users", headers={"Wazo-Tenant": acme})
    assert response.json()["total"] == 20
    assert {u["tenant_uuid"] for u in response.json()["items"]} == {acme}


def test_search_is_case_and_accent_insensitive(sandbox: Sandbox, root: requests.Session) -> None:
    user = next(u for u in sandbox.store.confd.users.values() if not u["lastname"].isascii())
    plain = unicodedata.normalize("NFKD", user["lastname"]).encode("ascii", "ignore").decode()
    found = get(sandbox, root, "/users", recurse="true", search=plain.upper()).json()["items"]
    assert user["uuid"] in {u["uuid"] for u in found}
    assert all(plain.casefold() in fold(u) for u in found)


def fold(user: dict) -> str:
    text = " ".join(str(user[k]) for k in ("firstname", "lastname", "email", "username"))
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def test_exact_filter_and_unknown_parameters(sandbox: Sandbox, root: requests.Session) -> None:
    user = sandbox.store.confd.users[5]
    by_name = get(sandbox, root, "/users", recurse="true", username=user["username"]).json()
    assert [u["id"] for u in by_name["items"]] == [5]
    ignored = get(sandbox, root, "/users", recurse="true", colour="blue").json()
    assert ignored["total"] == 40


def test_user_get_by_id_and_by_uuid(sandbox: Sandbox, root: requests.Session) -> None:
    by_id = get(sandbox, root, "/users/3").json()
    assert get(sandbox, root, f"/users/{by_id['uuid']}").json() == by_id


def test_user_not_found_messages(sandbox: Sandbox, root: requests.Session) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert get(sandbox, root, "/users/999").json() == [
        "Resource Not Found - User was not found ('id': 999)"
    ]
    assert get(sandbox, root, f"/users/{unknown}").json() == [
        f"Resource Not Found - User was not found ('id': UUID('{unknown}'))"
    ]


def test_user_of_another_tenant_is_not_found(sandbox: Sandbox, acme: requests.Session) -> None:
    globex = sandbox.store.tenant("globex")["uuid"]
    user_id = next(
        u["id"] for u in sandbox.store.confd.users.values() if u["tenant_uuid"] == globex
    )
    assert put(sandbox, acme, f"/users/{user_id}", {}).status_code == 404


def test_user_put_is_partial(sandbox: Sandbox, root: requests.Session) -> None:
    before = get(sandbox, root, "/users/1").json()
    response = put(sandbox, root, "/users/1", {"online_call_record_enabled": True, "colour": "x"})
    assert response.status_code == 204
    assert response.content == b""
    after = get(sandbox, root, "/users/1").json()
    assert after == {**before, "online_call_record_enabled": True}


def test_empty_put_is_accepted_and_still_notifies(sandbox: Sandbox, root: requests.Session) -> None:
    assert put(sandbox, root, "/users/2", {}).status_code == 204
    assert put(sandbox, root, "/users/2", {}).status_code == 204
    assert sandbox.store.confd.events == [("user_edited", 2), ("user_edited", 2)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("true", "Not a valid boolean."),
        (1, "Not a valid boolean."),
        (None, "Field may not be null."),
    ],
)
def test_user_booleans_are_strict(
    sandbox: Sandbox, root: requests.Session, value, message: str
) -> None:
    response = put(sandbox, root, "/users/1", {"online_call_record_enabled": value})
    assert response.status_code == 400
    assert response.json() == [f"Input Error - online_call_record_enabled: ['{message}']"]


def test_call_record_enabled_expands_to_the_four_flags(
    sandbox: Sandbox, root: requests.Session
) -> None:
    assert put(sandbox, root, "/users/1", {"call_record_enabled": True}).status_code == 204
    user = get(sandbox, root, "/users/1").json()
    assert all(user[flag] for flag in FLAGS)
    assert user["call_record_enabled"] is True


def test_call_record_enabled_with_a_flag_is_400(sandbox: Sandbox, root: requests.Session) -> None:
    body = {"call_record_enabled": True, FLAGS[0]: True}
    response = put(sandbox, root, "/users/1", body)
    assert response.status_code == 400
    assert response.json() == [
        "Input Error - _schema: [\"'call_record_enabled' is deprecated and incompatible with "
        "'call_record_*_enabled' options\"]"
    ]


def test_recursive_user_put_is_refused_loudly(sandbox: Sandbox, root: requests.Session) -> None:
    response = root.put(f"{sandbox.url}{CONFD}/users/1", params={"recursive": "true"}, json={})
    assert response.status_code == 400
    assert "recursive" in response.json()[0]
    assert sandbox.store.confd.events == []


def test_json_array_and_invalid_json_bodies_are_400(
    sandbox: Sandbox, root: requests.Session
) -> None:
    array = put(sandbox, root, "/users/1", [])
    assert array.json() == ["Input Error - _schema: ['Invalid input type.']"]
    invalid = root.put(f"{sandbox.url}{CONFD}/users/1", data="{not json")
    assert invalid.status_code == 400
    assert invalid.json() == [
        "The browser (or proxy) sent a request that this server could not understand."
    ]


def test_group_put_without_ignore_forward_resets_it(
    sandbox: Sandbox, root: requests.Session
) -> None:
    group = next(g for g in sandbox.store.confd.groups.values() if g["ignore_forward"])
    assert put(sandbox, root, f"/groups/{group['uuid']}", {"dtmf_record_toggle": True}).ok
    after = get(sandbox, root, f"/groups/{group['uuid']}").json()
    assert (after["dtmf_record_toggle"], after["ignore_forward"]) == (True, False)


def test_group_put_with_ignore_forward_keeps_it(sandbox: Sandbox, root: requests.Session) -> None:
    group = next(g for g in sandbox.store.confd.groups.values() if g["ignore_forward"])
    body = {"dtmf_record_toggle": True, "ignore_forward": True}
    assert put(sandbox, root, f"/groups/{group['id']}", body).status_code == 204
    assert get(sandbox, root, f"/groups/{group['id']}").json()["ignore_forward"] is True


def test_nested_groups_of_a_user_carry_no_label(sandbox: Sandbox, root: requests.Session) -> None:
    """docs/wazo-api.md, confd §2: uuid, id, name (`grp-<tenant>-<uuid>`) and links only."""
    member = next(u for u in sandbox.store.confd.users.values() if u["groups"])
    for body in (
        get(sandbox, root, f"/users/{member['uuid']}").json(),
        get(sandbox, root, "/users", recurse="true", uuid=member["uuid"]).json()["items"][0],
    ):
        assert body["groups"]
        for nested in body["groups"]:
            assert set(nested) == {"uuid", "id", "name", "links"}
            assert nested["name"].startswith("grp-")
            assert nested["links"] == [
                {"rel": "groups", "href": f"{sandbox.url}{CONFD}/groups/{nested['uuid']}"}
            ]


def test_group_members_carry_no_username(sandbox: Sandbox, root: requests.Session) -> None:
    """docs/wazo-api.md, confd §3: `members.users` items are uuid, firstname, lastname, priority,
    links."""
    listed = get(sandbox, root, "/groups", recurse="true").json()["items"]
    assert any(g["members"]["users"] for g in listed)
    one = next(g for g in listed if g["members"]["users"])
    for group in (*listed, get(sandbox, root, f"/groups/{one['uuid']}").json()):
        assert group["label"]
        for member in group["members"]["users"]:
            assert set(member) == {"uuid", "firstname", "lastname", "priority", "links"}
            user = sandbox.store.confd.user(member["uuid"])
            assert (member["firstname"], member["lastname"]) == (
                user["firstname"],
                user["lastname"],
            )


def test_group_not_found_messages(sandbox: Sandbox, root: requests.Session) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert get(sandbox, root, f"/groups/{unknown}").json() == [
        f"Resource Not Found - Group was not found ('uuid': '{unknown}')"
    ]
    assert get(sandbox, root, "/groups/77").json() == [
        "Resource Not Found - Group was not found ('id': 77)"
    ]


def test_queue_is_addressed_by_int_id_only(sandbox: Sandbox, root: requests.Session) -> None:
    by_uuid = get(sandbox, root, "/queues/00000000-0000-4000-8000-000000000000")
    assert by_uuid.status_code == 404
    assert by_uuid.text.startswith("<!doctype html>")
    assert get(sandbox, root, "/queues/99").json() == [
        "Resource Not Found - Queue was not found ('id': 99)"
    ]


def test_queue_put_is_partial(sandbox: Sandbox, root: requests.Session) -> None:
    before = get(sandbox, root, "/queues/1").json()
    body = {"dtmf_record_toggle": not before["dtmf_record_toggle"], "name": "renamed"}
    assert put(sandbox, root, "/queues/1", body).status_code == 204
    after = get(sandbox, root, "/queues/1").json()
    assert after == {**before, "dtmf_record_toggle": body["dtmf_record_toggle"]}


def test_feature_filter_finds_the_disabled_callrecord(
    sandbox: Sandbox, root: requests.Session
) -> None:
    everything = get(sandbox, root, "/extensions/features").json()
    assert everything["total"] > 30
    listing = get(sandbox, root, "/extensions/features", feature="callrecord").json()
    assert [(f["exten"], f["enabled"]) for f in listing["items"]] == [("*26", False)]


def callrecord_uuid(sandbox: Sandbox) -> str:
    features = sandbox.store.confd.extension_features.values()
    return next(f["uuid"] for f in features if f["feature"] == "callrecord")


@pytest.mark.parametrize("value", ["true", 1, "yes", True])
def test_feature_enabled_is_a_lenient_boolean(
    sandbox: Sandbox, root: requests.Session, value
) -> None:
    path = f"/extensions/features/{callrecord_uuid(sandbox)}"
    assert put(sandbox, root, path, {"enabled": value}).status_code == 204
    assert get(sandbox, root, path).json()["enabled"] is True


def test_feature_enabled_null_is_400(sandbox: Sandbox, root: requests.Session) -> None:
    path = f"/extensions/features/{callrecord_uuid(sandbox)}"
    response = put(sandbox, root, path, {"enabled": None})
    assert response.json() == ["Input Error - enabled: ['Field may not be null.']"]


def test_feature_exten_must_be_valid_and_unique(sandbox: Sandbox, root: requests.Session) -> None:
    path = f"/extensions/features/{callrecord_uuid(sandbox)}"
    assert put(sandbox, root, path, {"exten": "abc"}).status_code == 400
    assert put(sandbox, root, path, {"exten": "*25"}).json() == [
        "Resource Error - FeatureExtension already exists ('exten': '*25')"
    ]
    assert put(sandbox, root, path, {"exten": "*260"}).status_code == 204


def test_feature_not_found_and_405(sandbox: Sandbox, root: requests.Session) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert get(sandbox, root, f"/extensions/features/{unknown}").json() == [
        f"Resource Not Found - FeatureExtension was not found ('uuid': UUID('{unknown}'))"
    ]
    refused = root.post(f"{sandbox.url}{CONFD}/extensions/features", json={})
    assert (refused.status_code, refused.json()) == (405, "")


def test_applicationmap_put_replaces_the_whole_section(
    sandbox: Sandbox, root: requests.Session
) -> None:
    options = {"togglerecord": "*4,self,AGI(agi://${WAZO_AGID_IP}/call_recording)"}
    path = "/asterisk/features/applicationmap"
    assert put(sandbox, root, path, {"options": options}).status_code == 204
    assert get(sandbox, root, path).json() == {"options": options}
    assert sandbox.store.confd.events == [("features_applicationmap_edited", None)]


@pytest.mark.parametrize(
    ("section", "options"),
    [
        ("applicationmap", {"other": "*5,self,Noop()"}),
        ("featuremap", {"blindxfer": "*1"}),
        ("featuremap", {"blindxfer": "*1", "atxfer": None}),
    ],
)
def test_asterisk_feature_section_validation(
    sandbox: Sandbox, root: requests.Session, section: str, options: dict
) -> None:
    response = put(sandbox, root, f"/asterisk/features/{section}", {"options": options})
    assert response.status_code == 400
    assert response.json()[0].startswith("Input Error - options:")


def test_asterisk_features_are_master_tenant_only(sandbox: Sandbox, acme: requests.Session) -> None:
    assert get(sandbox, acme, "/asterisk/features/featuremap").status_code == 401
