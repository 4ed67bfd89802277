"""A small hand-made inventory (two tenants) and a way to load policy text, for the pure tests."""

from __future__ import annotations

from wazo_rec_tools.policy.inventory import (
    CallRecordExtension,
    Group,
    Inventory,
    Queue,
    Retention,
    Tenant,
    User,
)
from wazo_rec_tools.policy.load import LoadedPolicy, load_policy_text

MASTER = Tenant("00000000-0000-4000-8000-000000000000", "master", "Master")
ACME = Tenant("aaaaaaaa-0000-4000-8000-000000000001", "acme", "ACME Corp")
GLOBEX = Tenant("bbbbbbbb-0000-4000-8000-000000000002", "globex", "Globex")

TOGGLERECORD = "*3,self,AGI(agi://${WAZO_AGID_IP}/call_recording)"


def uuid(n: int) -> str:
    return f"11111111-0000-4000-8000-{n:012d}"


def user(n: int, tenant: Tenant, username: str | None, email: str | None, **flags: bool) -> User:
    return User(
        id=n,
        uuid=uuid(n),
        tenant_uuid=tenant.uuid,
        username=username,
        email=email,
        firstname=(username or "anon").capitalize(),
        lastname="Doe",
        **flags,
    )


def inventory() -> Inventory:
    """acme: 5 users, 3 groups, 2 queues; globex: 1 user; *26 disabled; *3 togglerecord.

    Membership is on the groups' side, as confd lists it: Sales = alice, bob; Support = bob,
    carol; Accounting has no members.
    """
    return Inventory(
        tenants=[MASTER, ACME, GLOBEX],
        users=[
            user(1, ACME, "alice", "alice@acme.com"),
            user(2, ACME, "bob", "bob@acme.com"),
            user(3, ACME, "carol", "carol@support.acme.com", online_call_record_enabled=True),
            user(4, ACME, None, "Dave@acme.com"),
            user(5, ACME, "erin", "erin@acme.com", call_record_incoming_external_enabled=True),
            user(6, GLOBEX, "frank", "frank@globex.com"),
        ],
        groups=[
            Group(
                uuid(101),
                101,
                ACME.uuid,
                "Sales",
                "grp-acme-sales",
                ignore_forward=True,
                members=(uuid(1), uuid(2)),
            ),
            Group(
                uuid(102),
                102,
                ACME.uuid,
                "Support",
                "grp-acme-support",
                dtmf_record_toggle=True,
                members=(uuid(2), uuid(3)),
            ),
            Group(uuid(103), 103, ACME.uuid, "Accounting", "grp-acme-accounting"),
            Group(uuid(104), 104, GLOBEX.uuid, "Sales", "grp-globex-sales"),
        ],
        queues=[
            Queue(201, ACME.uuid, "support", "Support"),
            Queue(202, ACME.uuid, "sales", "Sales", dtmf_record_toggle=True),
            Queue(203, GLOBEX.uuid, "helpdesk", "Help desk"),
        ],
        callrecord=CallRecordExtension(uuid(301), "*26", False),
        applicationmap={"togglerecord": TOGGLERECORD, "custom": "*7,self,Playback(beep)"},
        retention={
            ACME.uuid: Retention(cdr_days=365, recording_days=None, export_days=2),
            GLOBEX.uuid: Retention(),
        },
        master=True,
    )


def policy(text: str, path: str = "policy.yml") -> LoadedPolicy:
    return load_policy_text(text, path)
