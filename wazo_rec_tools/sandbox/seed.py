"""Deterministic seed data: tenants, auth users and policies, confd users/groups/queues/features."""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .calld import seed as calld_seed
from .calllogd import seed as calllogd_seed
from .confd.state import USER_RECORD_FLAGS

if TYPE_CHECKING:
    from .store import Store

FIRST_NAMES = (
    "Alice", "Bruno", "Chloé", "David", "Emma", "Félix", "Gabriel", "Hélène", "Inès", "Jules",
    "Karim", "Léa", "Manon", "Nathan", "Océane", "Paul", "Quentin", "Rose", "Samuel", "Théo",
    "Ursula", "Victor", "William", "Xavier", "Yasmine", "Zoé", "Amir", "Béatrice", "Camille",
    "Denis", "Élise", "François", "Grace", "Hugo", "Isabelle", "Jean", "Kevin", "Louise",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefort", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Côté", "Tremblay", "Gagnon", "Roy", "Bouchard", "Gauthier",
)  # fmt: skip
TENANT_SLUGS = ("acme", "globex")
GROUP_LABELS = ("Sales", "Support", "Accounting")
QUEUE_NAMES = ("support", "sales")
RECORD_FLAG_SHARE = 0.3

# (exten, feature, enabled): xivo-manage-db factory rows (docs/wazo-api.md, confd §5).
FACTORY_FEATURE_EXTENSIONS = (
    ("_*31.", "agentstaticlogin", True),
    ("_*32.", "agentstaticlogoff", True),
    ("_*30.", "agentstaticlogtoggle", True),
    ("_*37.", "bsfilter", True),
    ("_*664.", "callgroup", True),
    ("*34", "calllistening", False),
    ("_*667.", "callmeetme", True),
    ("_*665.", "callqueue", True),
    ("*26", "callrecord", False),
    ("_*666.", "calluser", True),
    ("*36", "directoryaccess", True),
    ("*25", "enablednd", True),
    ("*90", "enablevm", True),
    ("_*90.", "enablevmslt", True),
    ("_*23.", "fwdbusy", True),
    ("_*22.", "fwdrna", True),
    ("_*21.", "fwdunc", True),
    ("*20", "fwdundoall", True),
    ("*48378", "autoprov", True),
    ("*27", "incallfilter", True),
    ("*10", "phonestatus", True),
    ("_*735.", "phoneprogfunckey", True),
    ("_*8.", "pickup", False),
    ("*9", "recsnd", True),
    ("_*99.", "vmboxmsgslt", True),
    ("_*93.", "vmboxpurgeslt", False),
    ("_*97.", "vmboxslt", True),
    ("*98", "vmusermsg", True),
    ("*92", "vmuserpurge", False),
    ("_*92.", "vmuserpurgeslt", False),
    ("_*96.", "vmuserslt", True),
    ("_*11.", "paging", True),
    ("_*50.", "groupmemberjoin", True),
    ("_*51.", "groupmemberleave", True),
    ("_*52.", "groupmembertoggle", True),
)
FACTORY_APPLICATIONMAP = {"togglerecord": "*3,self,AGI(agi://${WAZO_AGID_IP}/call_recording)"}
FACTORY_FEATUREMAP = {"blindxfer": "*1", "disconnect": "*0", "atxfer": "*2"}
ADMIN_ACL = ["#"]
ADMIN_USERNAME = "root"
ADMIN_PASSWORD = "sandbox-admin-password"


@dataclass
class SeedSpec:
    seed: int = 42
    tenants: int = 2
    users: int = 40
    groups_per_tenant: int = 3
    queues_per_tenant: int = 2
    weeks: int = 6
    cdrs_per_week: int = 20
    recording_size: int = 16_000
    calls: int = 4
    now: datetime | None = None


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def tenant_slug(index: int) -> str:
    return TENANT_SLUGS[index] if index < len(TENANT_SLUGS) else f"tenant{index + 1}"


def seed(store: Store, spec: SeedSpec) -> None:
    """Fill `store` from `spec`, then let call-logd and calld seed from the same rng."""
    rng = random.Random(spec.seed)
    with store.lock:
        master = store.add_tenant(uuid4(rng), "master", "master")
        store.auth.xivo_uuid = uuid4(rng)
        tenants = [
            store.add_tenant(
                uuid4(rng), tenant_slug(i).capitalize(), tenant_slug(i), master["uuid"]
            )
            for i in range(spec.tenants)
        ]
        # the stack's own root is an `internal` user, as wazo-auth's bootstrap makes it
        _seed_admin(store, rng, master, ADMIN_USERNAME, ADMIN_PASSWORD, purpose="internal")
        for tenant in tenants:
            _seed_admin(store, rng, tenant, f"admin-{tenant['slug']}", ADMIN_PASSWORD)
        _seed_confd(store, rng, spec, tenants or [master])
        calllogd_seed.seed(store, rng, spec)
        calld_seed.seed(store, rng, spec)


def _seed_admin(
    store: Store,
    rng: random.Random,
    tenant: dict[str, Any],
    username: str,
    password: str,
    purpose: str = "user",
) -> None:
    policy = {
        "uuid": uuid4(rng),
        "tenant_uuid": tenant["uuid"],
        "name": "sandbox-admin",
        "slug": "sandbox_admin",
        "description": "Everything, within the tenant's subtree",
        "acl": list(ADMIN_ACL),
        "read_only": True,
        "shared": False,
    }
    store.auth.policies[policy["uuid"]] = policy
    store.auth.add_user(
        {
            "uuid": uuid4(rng),
            "tenant_uuid": tenant["uuid"],
            "username": username,
            "password": password,
            "purpose": purpose,
            "firstname": None,
            "lastname": None,
            "emails": [],
            "enabled": True,
            "authentication_method": "default",
            "policies": [policy["uuid"]],
        }
    )


def _seed_confd(
    store: Store, rng: random.Random, spec: SeedSpec, tenants: list[dict[str, Any]]
) -> None:
    confd = store.confd
    groups_of: dict[str, list[dict[str, Any]]] = {}
    queues_of: dict[str, list[dict[str, Any]]] = {}
    for tenant in tenants:
        groups_of[tenant["uuid"]] = [
            confd.add_group(_group(rng, len(confd.groups) + 1, tenant, index))
            for index in range(spec.groups_per_tenant)
        ]
        queues_of[tenant["uuid"]] = [
            confd.add_queue(_queue(rng, len(confd.queues) + 1, tenant, index))
            for index in range(spec.queues_per_tenant)
        ]

    usernames: set[str] = set()
    users_in_tenant = dict.fromkeys((t["uuid"] for t in tenants), 0)
    for index in range(spec.users):
        tenant = tenants[index % len(tenants)]
        position = users_in_tenant[tenant["uuid"]]
        users_in_tenant[tenant["uuid"]] = position + 1
        user = _user(rng, index + 1, tenant, position, usernames)
        for group in _sample(rng, groups_of[tenant["uuid"]], rng.choice((0, 1, 1, 2))):
            user["groups"].append(_group_ref(group))
            group["members"]["users"].append(_member_ref(user, len(group["members"]["users"])))
        queues = queues_of[tenant["uuid"]]
        if queues and rng.random() < 0.3:
            queue = rng.choice(queues)
            user["queues"].append(
                {"id": queue["id"], "name": queue["name"], "label": queue["label"]}
            )
            queue["members"]["users"].append(_member_ref(user, len(queue["members"]["users"])))
        confd.users[user["id"]] = user
        confd.user_ids_by_uuid[user["uuid"]] = user["id"]
    confd.changed()

    for exten, feature, enabled in FACTORY_FEATURE_EXTENSIONS:
        row = {"uuid": uuid4(rng), "exten": exten, "enabled": enabled, "feature": feature}
        confd.extension_features[row["uuid"]] = row
    confd.applicationmap = dict(FACTORY_APPLICATIONMAP)
    confd.featuremap = dict(FACTORY_FEATUREMAP)


def _sample(rng: random.Random, items: list[Any], count: int) -> list[Any]:
    return rng.sample(items, min(count, len(items)))


def _user(
    rng: random.Random, user_id: int, tenant: dict[str, Any], position: int, usernames: set[str]
) -> dict[str, Any]:
    firstname = rng.choice(FIRST_NAMES)
    lastname = rng.choice(LAST_NAMES)
    base = f"{_ascii(firstname)}.{_ascii(lastname)}"
    username = base
    suffix = 1
    while username in usernames:
        suffix += 1
        username = f"{base}{suffix}"
    usernames.add(username)
    flags = {flag: rng.random() < RECORD_FLAG_SHARE for flag in USER_RECORD_FLAGS}
    exten = str(1000 + position)
    return {
        "id": user_id,
        "uuid": uuid4(rng),
        "tenant_uuid": tenant["uuid"],
        "firstname": firstname,
        "lastname": lastname,
        "username": username,
        "email": f"{username}@{tenant['slug']}.example.com",
        "caller_id": f'"{firstname} {lastname}"',
        "outgoing_caller_id": "default",
        "mobile_phone_number": None,
        "description": "",
        "userfield": None,
        "language": "en_US",
        "timezone": None,
        "music_on_hold": None,
        "preprocess_subroutine": None,
        "enabled": True,
        "subscription_type": 0,
        "ring_seconds": 30,
        "simultaneous_calls": 5,
        "supervision_enabled": True,
        "call_transfer_enabled": False,
        "dtmf_hangup_enabled": False,
        **flags,
        "online_call_record_enabled": rng.random() < RECORD_FLAG_SHARE,
        "lines": [
            {
                "id": user_id,
                "name": f"{tenant['slug']}{exten}",
                "extensions": [
                    {"id": user_id, "exten": exten, "context": f"{tenant['slug']}-internal"}
                ],
            }
        ],
        "groups": [],
        "queues": [],
        "incalls": [],
        "voicemail": None,
        "agent": None,
    }


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _group(rng: random.Random, group_id: int, tenant: dict[str, Any], index: int) -> dict[str, Any]:
    label = GROUP_LABELS[index] if index < len(GROUP_LABELS) else f"Group {index + 1}"
    group_uuid = uuid4(rng)
    return {
        "id": group_id,
        "uuid": group_uuid,
        "tenant_uuid": tenant["uuid"],
        "name": f"grp-{tenant['slug']}-{group_uuid}",
        "label": label,
        "preprocess_subroutine": None,
        "ring_strategy": "all",
        "caller_id_mode": None,
        "caller_id_name": None,
        "timeout": None,
        "user_timeout": 15,
        "retry_delay": 5,
        "music_on_hold": None,
        "ring_in_use": True,
        "enabled": True,
        "max_calls": 0,
        "mark_answered_elsewhere": False,
        "ignore_forward": index == 1 or rng.random() < 0.2,
        "dtmf_record_toggle": rng.random() < RECORD_FLAG_SHARE,
        "extensions": [
            {
                "id": 100_000 + group_id,
                "exten": str(2000 + index),
                "context": f"{tenant['slug']}-internal",
            }
        ],
        "members": {"users": [], "extensions": []},
        "incalls": [],
        "schedules": [],
        "fallbacks": {"noanswer_destination": None, "congestion_destination": None},
    }


def _queue(rng: random.Random, queue_id: int, tenant: dict[str, Any], index: int) -> dict[str, Any]:
    name = QUEUE_NAMES[index] if index < len(QUEUE_NAMES) else f"queue-{index + 1}"
    return {
        "id": queue_id,
        "tenant_uuid": tenant["uuid"],
        "name": name,
        "label": name.capitalize(),
        "preprocess_subroutine": None,
        "caller_id_mode": None,
        "caller_id_name": None,
        "timeout": None,
        "music_on_hold": None,
        "enabled": True,
        "ignore_forward": False,
        "mark_answered_elsewhere": False,
        "wait_time_destination": None,
        "wait_ratio_destination": None,
        "data_quality": False,
        "retry_on_timeout": True,
        "ring_on_hold": False,
        "announce_hold_time_on_entry": False,
        "wait_time_threshold": None,
        "wait_ratio_threshold": None,
        "dtmf_hangup_callee_enabled": False,
        "dtmf_hangup_caller_enabled": False,
        "dtmf_transfer_callee_enabled": False,
        "dtmf_transfer_caller_enabled": False,
        "dtmf_record_callee_enabled": False,
        "dtmf_record_caller_enabled": False,
        "dtmf_record_toggle": rng.random() < RECORD_FLAG_SHARE,
        "options": [],
        "extensions": [
            {
                "id": 200_000 + queue_id,
                "exten": str(3000 + index),
                "context": f"{tenant['slug']}-internal",
            }
        ],
        "members": {"agents": [], "users": []},
        "schedules": [],
    }


def _group_ref(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": group["id"],
        "uuid": group["uuid"],
        "name": group["name"],
        "label": group["label"],
    }


def _member_ref(user: dict[str, Any], priority: int) -> dict[str, Any]:
    return {
        "uuid": user["uuid"],
        "firstname": user["firstname"],
        "lastname": user["lastname"],
        "username": user["username"],
        "priority": priority,
    }
