"""The audit's rules, one CDR at a time, on plain data (no server)."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from samples import (
    ALICE,
    BOB,
    SALES_GROUP_ID,
    SUPPORT_QUEUE_EXTEN,
    TENANT,
    cdr,
    recording,
    requirement,
)

from wazo_rec_tools.audit.classify import classify

OUT_EXT = {"call_record_outgoing_external_enabled": True}
IN_EXT = {"call_record_incoming_external_enabled": True}
OUT_INT = {"call_record_outgoing_internal_enabled": True}
IN_INT = {"call_record_incoming_internal_enabled": True}
ONLINE = {"online_call_record_enabled": True}
VIA_SALES = {
    "destination_details": {"type": "group", "group_id": SALES_GROUP_ID, "group_label": "Sales"}
}


def verdict(item, req):
    return classify(item, req, UTC)


# -- which flag requires a call, per direction ----------------------------------------------------


def test_outbound_call_is_required_by_the_source_users_outgoing_external_flag():
    v = verdict(cdr("outbound", source=ALICE), requirement(alice=OUT_EXT))

    assert (v.required, v.category) == (True, "missing")
    assert [(r.subject, r.field, r.value) for r in v.reasons] == [
        ("alice", "call_record_outgoing_external_enabled", True)
    ]


def test_outbound_call_is_not_required_by_the_source_users_other_flags():
    others = {**IN_EXT, **OUT_INT, **IN_INT}

    v = verdict(cdr("outbound", source=ALICE), requirement(alice=others))

    assert (v.required, v.category) == (False, "ok")


def test_inbound_call_is_required_by_the_destination_users_incoming_external_flag():
    v = verdict(cdr("inbound", destination=BOB), requirement(bob=IN_EXT))

    assert (v.required, v.category) == (True, "missing")
    assert v.reasons[0].field == "call_record_incoming_external_enabled"


def test_inbound_call_is_not_required_by_the_destination_users_internal_flag():
    v = verdict(cdr("inbound", destination=BOB), requirement(bob=IN_INT))

    assert v.required is False


def test_internal_call_is_required_by_the_sources_outgoing_internal_flag():
    v = verdict(cdr("internal", source=ALICE, destination=BOB), requirement(alice=OUT_INT))

    assert v.required is True
    assert [r.subject for r in v.reasons] == ["alice"]


def test_internal_call_is_required_by_the_destinations_incoming_internal_flag():
    v = verdict(cdr("internal", source=ALICE, destination=BOB), requirement(bob=IN_INT))

    assert v.required is True
    assert [(r.subject, r.field) for r in v.reasons] == [
        ("bob", "call_record_incoming_internal_enabled")
    ]


def test_internal_call_is_not_required_by_external_flags():
    v = verdict(
        cdr("internal", source=ALICE, destination=BOB),
        requirement(alice={**OUT_EXT, **IN_EXT}, bob={**OUT_EXT, **IN_EXT}),
    )

    assert v.required is False


def test_internal_call_to_a_destination_that_is_not_a_user_is_judged_by_the_source():
    v = verdict(cdr("internal", source=ALICE, destination=None), requirement(alice=OUT_INT))

    assert (v.required, v.category) == (True, "missing")


# -- the categories -----------------------------------------------------------------------------


def test_required_call_with_a_kept_recording_is_ok():
    item = cdr("outbound", source=ALICE, recordings=[recording()])

    assert verdict(item, requirement(alice=OUT_EXT)).category == "ok"


def test_call_neither_required_nor_recorded_is_ok():
    assert verdict(cdr("outbound", source=ALICE), requirement()).category == "ok"


def test_required_call_without_recording_is_missing():
    assert verdict(cdr("inbound", destination=BOB), requirement(bob=IN_EXT)).category == "missing"


def test_required_call_whose_recordings_were_all_deleted_is_deleted():
    item = cdr("outbound", source=ALICE, recordings=[recording(1, deleted=True)])

    v = verdict(item, requirement(alice=OUT_EXT))

    assert (v.category, v.recordings, v.kept) == ("deleted", 1, 0)


def test_required_call_with_one_recording_kept_of_two_is_ok():
    recordings = [recording(1, deleted=True), recording(2)]
    item = cdr("outbound", source=ALICE, recordings=recordings)

    assert verdict(item, requirement(alice=OUT_EXT)).category == "ok"


def test_recorded_call_nothing_allows_is_unexpected_with_every_flag_that_forbade_it():
    item = cdr("internal", source=ALICE, destination=BOB, recordings=[recording()])

    v = verdict(item, requirement())

    assert v.category == "unexpected"
    assert [(r.subject, r.field, r.value, r.origin) for r in v.reasons] == [
        ("alice", "call_record_outgoing_internal_enabled", False, "stack"),
        ("bob", "call_record_incoming_internal_enabled", False, "stack"),
        ("alice", "online_call_record_enabled", False, "stack"),
        ("bob", "online_call_record_enabled", False, "stack"),
    ]


def test_recorded_call_is_on_demand_when_the_caller_may_record_on_demand():
    item = cdr("outbound", source=ALICE, recordings=[recording()])

    v = verdict(item, requirement(alice=ONLINE))

    assert v.category == "on-demand"
    assert [r.text for r in v.reasons] == ["alice online_call_record_enabled=true (stack)"]


def test_recorded_call_is_on_demand_when_the_callee_may_record_on_demand():
    item = cdr("inbound", destination=BOB, recordings=[recording()])

    assert verdict(item, requirement(bob=ONLINE)).category == "on-demand"


def test_inbound_caller_is_external_so_only_the_callee_may_record_on_demand():
    item = cdr("inbound", source=ALICE, destination=BOB, recordings=[recording()])

    assert verdict(item, requirement(alice=ONLINE)).category == "unexpected"


# -- groups and queues: the toggle decides for the callee ------------------------------------------


def test_call_through_a_group_with_dtmf_record_toggle_is_on_demand():
    item = cdr("inbound", destination=BOB, recordings=[recording()], **VIA_SALES)

    v = verdict(item, requirement(group_toggle=True))

    assert (v.category, v.via) == ("on-demand", "group Sales")
    assert v.reasons[0].field == "dtmf_record_toggle"


def test_call_through_a_group_without_the_toggle_ignores_the_callees_own_permission():
    item = cdr("inbound", destination=BOB, recordings=[recording()], **VIA_SALES)

    v = verdict(item, requirement(bob=ONLINE, group_toggle=False))

    assert v.category == "unexpected"
    assert ("group Sales", "dtmf_record_toggle", False) in [
        (r.subject, r.field, r.value) for r in v.reasons
    ]


def test_call_through_a_group_since_deleted_is_not_allowed_on_demand():
    details = {"type": "group", "group_id": 999, "group_label": "Gone"}
    item = cdr("inbound", destination=BOB, recordings=[recording()], destination_details=details)

    v = verdict(item, requirement(bob=ONLINE))

    assert (v.category, v.via) == ("unexpected", "group Gone")
    assert v.reasons[-1].origin == "no longer on the stack"


def test_call_dialled_to_a_queue_extension_is_on_demand_by_the_queues_toggle():
    exten, context = SUPPORT_QUEUE_EXTEN
    item = cdr(
        "internal",
        source=ALICE,
        destination=BOB,
        recordings=[recording()],
        requested_extension=exten,
        requested_context=context,
    )

    v = verdict(item, requirement(queue_toggle=True))

    assert (v.category, v.via) == ("on-demand", "queue Support")


def test_incall_to_a_queue_is_told_by_the_requested_internal_extension():
    exten, context = SUPPORT_QUEUE_EXTEN
    item = cdr(
        "inbound",
        destination=BOB,
        recordings=[recording()],
        requested_internal_extension=exten,
        requested_internal_context=context,
    )

    v = verdict(item, requirement(queue_toggle=True))

    assert (v.category, v.via) == ("on-demand", "queue Support")


def test_queue_extension_of_another_tenant_does_not_match():
    exten, context = SUPPORT_QUEUE_EXTEN
    item = cdr(
        "inbound",
        destination=BOB,
        recordings=[recording()],
        requested_internal_extension=exten,
        requested_internal_context=context,
        tenant_uuid="22222222-2222-4222-8222-222222222222",
    )

    assert verdict(item, requirement(queue_toggle=True)).via is None


# -- out of scope ---------------------------------------------------------------------------------


def test_unanswered_call_is_out_of_scope_even_if_required():
    v = verdict(cdr("outbound", source=ALICE, answered=False), requirement(alice=OUT_EXT))

    assert (v.category, v.out_of_scope) == (None, "unanswered")


def test_outbound_call_from_someone_who_is_not_a_user_is_out_of_scope():
    v = verdict(cdr("outbound", source="cccccccc-0000-4000-8000-000000000003"), requirement())

    assert (v.category, v.out_of_scope) == (None, "not-users")


def test_inbound_call_to_a_destination_that_is_not_a_user_is_out_of_scope():
    v = verdict(cdr("inbound", source=ALICE, destination=None), requirement(alice=OUT_EXT))

    assert v.out_of_scope == "not-users"


def test_call_of_an_unknown_direction_is_out_of_scope():
    assert verdict(cdr("transfer", source=ALICE), requirement()).out_of_scope == "other-direction"


# -- what a verdict shows --------------------------------------------------------------------------


def test_verdict_start_is_shown_in_the_reports_zone():
    item = cdr("outbound", source=ALICE)

    v = classify(item, requirement(), ZoneInfo("Europe/Paris"))

    assert v.start.isoformat() == "2026-03-02T11:00:00+01:00"


def test_verdict_names_the_parties_and_their_users():
    v = verdict(cdr("internal", source=ALICE, destination=BOB), requirement())

    assert (v.source.text, v.source.user, v.destination.user) == ("Alice (1000)", "alice", "bob")
    assert v.users == (ALICE, BOB)
    assert v.as_json()["tenant_uuid"] == TENANT
