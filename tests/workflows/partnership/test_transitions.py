"""For each transition: the allowed path, the refused path with its reason code, and nothing changed on refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import override

import engine
from engine.errors import GuardFailed, InvalidInput, NotPermitted, TransitionNotAllowedError
from engine.models import AccessLogEntry, AuditEvent, OutboxMessage, SlaClock
from partners import services as partner_services
from partners.models import CharterArticle, CharterVersion, Organization
from tests.factories import business_day
from workflows.partnership import services
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import (
    ActionItem,
    Attendance,
    ConflictDeclaration,
    DialogueRequest,
    InfoRequest,
    Meeting,
    MeetingChange,
    MinutesConfirmation,
    Outcome,
)

from .conftest import confirm_minutes, draft, meeting_data, outcome_data, walk

pytestmark = pytest.mark.django_db


def snapshot(request: DialogueRequest) -> tuple:
    """Everything a refused transition must leave alone."""
    fresh = DialogueRequest.objects.get(pk=request.pk)
    return (
        fresh.state,
        fresh.version,
        fresh.audit_seq,
        fresh.audit_hash,
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
        SlaClock.objects.filter(stopped_at__isnull=True).count(),
        InfoRequest.objects.count(),
        ConflictDeclaration.objects.count(),
        Meeting.objects.count(),
        MeetingChange.objects.count(),
        Attendance.objects.count(),
        Outcome.objects.count(),
        MinutesConfirmation.objects.count(),
    )


def refused(error_cls, call, request):
    before = snapshot(request)
    with pytest.raises(error_cls) as caught:
        call()
    assert snapshot(request) == before
    return caught.value


def codes(error) -> list[tuple[str, str | None]]:
    return [(reason.code, reason.article) for reason in error.reasons]


# --- submit ------------------------------------------------------------------------------------


def test_submit_moves_the_draft_to_the_secretariat_and_starts_its_clock(partnership_world):
    w = partnership_world
    request = draft(w)
    services.request_submit(request=request, actor=w.cso_coordinator)
    assert request.state == "submitted" and request.submitted_at is not None
    clock = SlaClock.objects.get(case_id=request.pk, stopped_at__isnull=True)
    assert (clock.state, clock.owner) == ("submitted", "secretariat")
    assert OutboxMessage.objects.filter(case_id=request.pk, event="submit").exists()


def test_submit_by_someone_else_is_not_permitted(partnership_world):
    w = partnership_world
    request = draft(w)
    error = refused(
        NotPermitted, lambda: services.request_submit(request=request, actor=w.ministry_coordinator), request
    )
    assert error.reasons[0].code == "not_permitted"


def test_submit_needs_the_current_charter_accepted(partnership_world):
    w = partnership_world
    request = draft(w)
    # given a new charter version, published after the CSO accepted the first
    version = CharterVersion.objects.create(number=2, title="Charter v2")
    for article in CharterArticle.objects.filter(version__number=1):
        article.pk, article.version = None, version
        article.save()
    partner_services.charter_publish(version=version, actor=w.secretariat_lead)
    error = refused(GuardFailed, lambda: services.request_submit(request=request, actor=w.cso_coordinator), request)
    assert codes(error) == [("charter_not_accepted", "6")]
    # when the CSO accepts the new version, it may submit
    partner_services.organization_accept_charter(organization=w.cso, actor=w.cso_coordinator)
    services.request_submit(request=request, actor=w.cso_coordinator)
    assert request.state == "submitted"


def test_submit_by_an_inactive_organization_is_refused(partnership_world):
    w = partnership_world
    request = draft(w)
    Organization.objects.filter(pk=w.cso.pk).update(active=False)
    w.cso_coordinator.refresh_from_db()
    error = refused(GuardFailed, lambda: engine.run(request, "submit", actor=w.cso_coordinator), request)
    assert ("organization_inactive", "6") in codes(error)


def test_submit_needs_a_counterpart_on_the_other_side(partnership_world):
    w = partnership_world
    request = draft(w, counterpart_organizations=[w.other_cso.pk])
    error = refused(GuardFailed, lambda: services.request_submit(request=request, actor=w.cso_coordinator), request)
    assert codes(error) == [("counterpart_same_side", "1")]


def test_submit_needs_the_required_fields(partnership_world):
    w = partnership_world
    request = draft(w)
    DialogueRequest.objects.filter(pk=request.pk).update(summary="  ")
    request.refresh_from_db()
    error = refused(GuardFailed, lambda: services.request_submit(request=request, actor=w.cso_coordinator), request)
    assert codes(error) == [("required_fields_missing", "1")]
    with override("en"):
        assert error.reasons[0].as_dict()["message"] == "These fields are required before submitting: summary."


def test_refusals_speak_arabic_and_english(partnership_world):
    w = partnership_world
    request = draft(w, counterpart_organizations=[w.other_cso.pk])
    with pytest.raises(GuardFailed) as caught:
        services.request_submit(request=request, actor=w.cso_coordinator)
    reason = caught.value.reasons[0]
    with override("en"):
        english = reason.as_dict()["message"]
    with override("ar"):
        arabic = reason.as_dict()["message"]
    assert english.startswith("Name at least one active counterpart")
    assert arabic != english and any("\u0600" <= ch <= "\u06ff" for ch in arabic)


# --- triage ------------------------------------------------------------------------------------


def test_request_info_pauses_the_triage_clock_and_provide_info_resumes_it(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    services.request_info_request(request=request, actor=w.secretariat, message="Which courts?")
    triage = SlaClock.objects.get(case_id=request.pk, state="submitted")
    assert triage.paused_at is not None
    assert SlaClock.objects.get(case_id=request.pk, state="info_requested").owner == "requester"
    services.request_info_provide(request=request, actor=w.cso_coordinator, message="Beirut.")
    triage.refresh_from_db()
    assert triage.paused_at is None and triage.stopped_at is None
    assert request.state == "submitted"


def test_request_info_needs_a_message_and_the_secretariat(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    error = refused(
        InvalidInput, lambda: services.request_info_request(request=request, actor=w.secretariat, message=""), request
    )
    assert list(error.errors) == ["message"]
    error = refused(
        NotPermitted,
        lambda: services.request_info_request(request=request, actor=w.cso_coordinator, message="?"),
        request,
    )
    assert error.code == "not_permitted"


def test_provide_info_is_for_the_requester(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    services.request_info_request(request=request, actor=w.secretariat, message="?")
    refused(
        NotPermitted, lambda: services.request_info_provide(request=request, actor=w.secretariat, message="!"), request
    )


def test_accept_is_for_the_secretariat_on_a_submitted_request(partnership_world):
    w = partnership_world
    request = draft(w)
    refused(TransitionNotAllowedError, lambda: services.request_accept(request=request, actor=w.secretariat), request)
    walk(w, request, "submitted")
    refused(NotPermitted, lambda: services.request_accept(request=request, actor=w.chair), request)
    services.request_accept(request=request, actor=w.secretariat)
    assert request.state == "in_committee" and request.accepted_at is not None


def test_decline_must_cite_an_existing_article(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    error = refused(
        GuardFailed,
        lambda: services.request_decline(request=request, actor=w.secretariat, reason="No.", article="99"),
        request,
    )
    assert codes(error) == [("unknown_article", None)]
    error = refused(
        InvalidInput,
        lambda: services.request_decline(request=request, actor=w.secretariat, reason="No.", article=""),
        request,
    )
    assert list(error.errors) == ["article"]


# --- committee ---------------------------------------------------------------------------------


def test_approve_and_reject_are_the_engines_alone(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    for name in ("approve", "reject"):
        refused(NotPermitted, lambda name=name: engine.run(request, name, actor=w.chair), request)
        error = refused(GuardFailed, lambda name=name: engine.run(request, name, actor=None), request)
        assert codes(error)[0] == ("quorum_not_met", "1")


def test_quorum_needs_a_vote_from_each_side(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    # three public votes of four eligible members: half voted, but civil society has not
    services.vote_cast(request=request, actor=w.chair, decision="approve")
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    services.vote_cast(request=request, actor=w.gov[1], decision="approve")
    assert request.state == "in_committee"
    services.vote_cast(request=request, actor=w.cso_seats[1], decision="abstain")
    assert request.state == "approved"


def test_decide_is_the_chairs_on_a_tie_only(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    decide = lambda actor: services.request_decide(request=request, actor=actor, decision="reject", reason="r")  # noqa: E731
    assert codes(refused(GuardFailed, lambda: decide(w.chair), request)) == [("quorum_not_met", "1")]
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    services.vote_cast(request=request, actor=w.cso_seats[1], decision="reject", reason="Scope.")
    services.vote_cast(request=request, actor=w.gov[1], decision="approve")
    services.vote_cast(request=request, actor=w.chair, decision="reject", reason="Timing.")
    refused(NotPermitted, lambda: decide(w.gov[0]), request)
    error = refused(
        InvalidInput,
        lambda: services.request_decide(request=request, actor=w.chair, decision="maybe", reason="r"),
        request,
    )
    assert list(error.errors) == ["decision"]
    decide(w.chair)
    assert (request.state, request.decision, request.decision_reason) == ("rejected", "rejected", "r")


# --- meeting -----------------------------------------------------------------------------------


def test_schedule_meeting_accepts_iso_datetimes_and_explicit_invitees(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "approved")
    data = meeting_data(
        starts_at="2030-03-04T10:00:00+02:00",
        ends_at="2030-03-04T12:00:00+02:00",
        invitees=[w.cso_coordinator.pk, w.ministry_coordinator.pk, w.secretariat.pk],
        online_url="https://meet.example.org/dr",
    )
    services.meeting_schedule(request=request, actor=w.secretariat, data=data)
    meeting = request.meetings.get()
    assert meeting.starts_at == dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)
    assert meeting.invitees.count() == 3 and meeting.online_url == "https://meet.example.org/dr"
    assert request.state == "meeting_scheduled"


@pytest.mark.parametrize(
    ("overrides", "error_cls", "expected"),
    [
        (
            {"starts_at": "2020-01-01T10:00:00+02:00", "ends_at": "2020-01-01T12:00:00+02:00"},
            GuardFailed,
            "meeting_in_past",
        ),
        ({"ends_at": "2030-03-04T09:00:00+02:00", "starts_at": "2030-03-04T10:00:00+02:00"}, InvalidInput, "ends_at"),
        ({"starts_at": "next tuesday"}, InvalidInput, "starts_at"),
        ({"invitees": "me"}, InvalidInput, "invitees"),
        ({"invitees": [999999]}, InvalidInput, "invitees"),
        ({"location": ""}, InvalidInput, "location"),
        ("one-side", GuardFailed, "invitees_one_side"),
    ],
)
def test_schedule_meeting_refusals(partnership_world, overrides, error_cls, expected):
    w = partnership_world
    request = walk(w, draft(w), "approved")
    if overrides == "one-side":
        overrides = {"invitees": [w.cso_coordinator.pk, w.other_cso_coordinator.pk]}
    error = refused(
        error_cls,
        lambda: services.meeting_schedule(request=request, actor=w.secretariat, data=meeting_data(**overrides)),
        request,
    )
    if error_cls is GuardFailed:
        assert codes(error) == [(expected, "1")]
    else:
        assert list(error.errors) == [expected]


def test_reschedule_keeps_the_uid_and_bumps_the_sequence(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_scheduled")
    meeting = request.meetings.get()
    start = business_day(timezone.now() + dt.timedelta(days=9))
    services.meeting_reschedule(request=request, actor=w.secretariat, data=meeting_data(start, reason="Holiday"))
    moved = request.meetings.get()
    assert (moved.uid, moved.sequence) == (meeting.uid, 1)
    change = moved.changes.get()
    assert (change.kind, change.old_starts_at, change.reason) == ("rescheduled", meeting.starts_at, "Holiday")
    assert set(moved.invitees.all()) == set(meeting.invitees.all())
    error = refused(
        GuardFailed,
        lambda: services.meeting_reschedule(
            request=request, actor=w.secretariat, data=meeting_data(timezone.now() - dt.timedelta(days=1))
        ),
        request,
    )
    assert codes(error) == [("meeting_in_past", "1")]


def test_cancel_meeting_goes_back_to_approved_and_cancels_the_invitation(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_scheduled")
    services.meeting_cancel(request=request, actor=w.secretariat, reason="Strike")
    assert request.state == "approved"
    meeting = request.meetings.get()
    assert (meeting.status, meeting.sequence, meeting.cancel_reason) == ("cancelled", 1, "Strike")
    ics = services.meeting_ics(meeting).decode()
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and f"UID:{meeting.uid}" in ics
    # a new meeting can then be scheduled, with a new calendar entry
    services.meeting_schedule(request=request, actor=w.secretariat, data=meeting_data())
    assert request.meetings.exclude(uid=meeting.uid).get().status == "scheduled"


def test_record_meeting_only_once_it_has_started(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_scheduled")
    record = lambda ids: services.meeting_record(request=request, actor=w.secretariat, attended_organizations=ids)  # noqa: E731
    error = refused(GuardFailed, lambda: record([w.cso.pk]), request)
    assert codes(error) == [("meeting_not_started", "8")]
    Meeting.objects.filter(request=request).update(starts_at=timezone.now() - dt.timedelta(minutes=1))
    assert list(refused(InvalidInput, lambda: record([424242]), request).errors) == ["attended_organizations"]
    assert list(refused(InvalidInput, lambda: record([]), request).errors) == ["attended_organizations"]
    record([str(w.cso.pk), w.ministry.pk])
    assert request.state == "meeting_held"
    assert Attendance.objects.filter(meeting__request=request, present=True).count() == 2


def test_ics_carries_times_in_beirut_organizer_and_attendees(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "approved")
    data = meeting_data(starts_at="2030-07-01T09:00:00+03:00", ends_at="2030-07-01T11:00:00+03:00")
    services.meeting_schedule(request=request, actor=w.secretariat, data=data)
    ics = services.meeting_ics(request.meetings.get()).decode()
    assert "DTSTART;TZID=Asia/Beirut:20300701T090000" in ics
    assert "BEGIN:VTIMEZONE" in ics and "METHOD:REQUEST" in ics and "SEQUENCE:0" in ics
    assert "ORGANIZER" in ics and "mailto:secretariat@example.org" in ics
    assert ics.count("ATTENDEE") == 2 and "mailto:cso-coordinator@example.org" in ics


# --- outcome and follow-up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"minutes": ""}, [("minutes_missing", "8")]),
        ({"evidence": "", "who_changed": " "}, [("harvesting_incomplete", "8")]),
        ({"visibility": "restricted"}, [("restriction_reason_missing", "7")]),
    ],
)
def test_document_outcome_guards(partnership_world, overrides, expected):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    error = refused(
        GuardFailed,
        lambda: services.outcome_document(request=request, actor=w.secretariat, data=outcome_data(**overrides)),
        request,
    )
    assert codes(error) == expected


def test_document_outcome_rejects_bad_fields(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    error = refused(
        InvalidInput,
        lambda: services.outcome_document(
            request=request, actor=w.secretariat, data=outcome_data(visibility="secret", recommendations=[1, 2])
        ),
        request,
    )
    assert set(error.errors) == {"visibility", "recommendations"}


def test_confirm_minutes_once_per_party(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    services.outcome_document(request=request, actor=w.secretariat, data=outcome_data())
    services.minutes_confirm(request=request, actor=w.cso_coordinator)
    error = refused(GuardFailed, lambda: services.minutes_confirm(request=request, actor=w.cso_coordinator), request)
    assert codes(error) == [("already_confirmed", "8")]
    refused(NotPermitted, lambda: services.minutes_confirm(request=request, actor=w.auditor), request)
    refused(NotPermitted, lambda: services.minutes_confirm(request=request, actor=w.secretariat), request)
    event = AuditEvent.objects.filter(case_id=request.pk, action="confirm_minutes").get()
    assert (event.from_state, event.to_state, event.data["organization"]) == (
        "outcome_documented",
        "outcome_documented",
        w.cso.pk,
    )


def test_follow_up_and_close_wait_for_confirmed_minutes_and_settled_actions(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    services.outcome_document(request=request, actor=w.secretariat, data=outcome_data())
    for call in (services.request_follow_up_start, services.request_close):
        error = refused(GuardFailed, lambda call=call: call(request=request, actor=w.secretariat), request)
        assert codes(error) == [("minutes_not_confirmed", "8")]
    confirm_minutes(w, request)
    item = services.action_item_create(
        request=request,
        actor=w.secretariat,
        description="Guidelines",
        owner_organization=w.ministry,
        due_date="2027-1-9",
    )
    services.request_follow_up_start(request=request, actor=w.secretariat)
    error = refused(GuardFailed, lambda: services.request_close(request=request, actor=w.secretariat), request)
    assert codes(error) == [("actions_open", "8")] and error.reasons[0].params == {"count": 1}
    services.action_item_update(item=item, actor=w.ministry_coordinator, status="in_progress")
    refused(GuardFailed, lambda: services.request_close(request=request, actor=w.secretariat), request)
    services.action_item_update(item=item, actor=w.ministry_coordinator, status="done")
    services.request_close(request=request, actor=w.secretariat)
    assert request.state == "closed" and ActionItem.objects.get().completed_at is not None


def test_reopen_needs_a_reason(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "closed")
    error = refused(
        InvalidInput, lambda: services.request_reopen(request=request, actor=w.secretariat, reason=""), request
    )
    assert list(error.errors) == ["reason"]
    refused(NotPermitted, lambda: services.request_reopen(request=request, actor=w.auditor, reason="x"), request)


def test_withdraw_is_refused_once_the_meeting_is_held_and_for_others(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    refused(
        NotPermitted,
        lambda: services.request_withdraw(request=request, actor=w.ministry_coordinator, reason="x"),
        request,
    )
    walk(w, request, "meeting_held")
    refused(
        TransitionNotAllowedError,
        lambda: services.request_withdraw(request=request, actor=w.cso_coordinator, reason="x"),
        request,
    )


# --- who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state", ["draft", "submitted", "in_committee", "approved", "meeting_scheduled", "meeting_held", "closed"]
)
def test_the_auditor_never_writes(partnership_world, state):
    w = partnership_world
    request = walk(w, draft(w), state)
    options = engine.available_transitions(request, w.auditor)
    assert options and not any(option.allowed for option in options)


def test_available_transitions_explain_themselves_to_the_requester(partnership_world):
    w = partnership_world
    request = draft(w, counterpart_organizations=[w.other_cso.pk])
    options = {o.name: o.as_dict() for o in engine.available_transitions(request, w.cso_coordinator)}
    assert set(options) == {"submit", "withdraw"}
    assert options["submit"]["allowed"] is False
    assert options["submit"]["reasons"][0]["code"] == "counterpart_same_side"
    assert options["withdraw"]["allowed"] is True


def test_every_state_is_reachable_and_labelled():
    targets = {spec.target for spec in RequestFlow.specs().values()} | {"draft", "rejected"}
    assert set(RequestFlow.state_labels) == targets
    assert {spec.name for spec in RequestFlow.specs().values()} >= {
        "submit", "request_info", "provide_info", "accept", "decline", "withdraw", "appeal", "approve", "reject",
        "decide", "schedule_meeting", "reschedule_meeting", "cancel_meeting", "record_meeting", "document_outcome",
        "confirm_minutes", "start_follow_up", "close", "reopen", "lapse",
    }  # fmt: skip


def test_system_transitions_tell_people_who_runs_them(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    with override("en"):
        options = {o.name: o for o in engine.available_transitions(request, w.chair)}
        assert options["approve"].as_dict()["reasons"][0]["message"] == "Only the platform itself may do this."


def test_reading_a_restricted_outcome_is_logged_and_kept_from_outsiders(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    data = outcome_data(visibility="restricted", restriction_reason="Draft law under negotiation.")
    services.outcome_document(request=request, actor=w.secretariat, data=data)
    request = DialogueRequest.objects.get(pk=request.pk)
    seq, version = request.audit_seq, request.version
    assert services.outcome_read_restricted(request=request, actor=w.auditor).summary
    # the read goes to the access log, not to the request's chain, and nobody is notified
    entry = AccessLogEntry.objects.get(case_id=request.pk)
    assert (entry.what, entry.actor_id, entry.actor_role) == ("outcome", w.auditor.pk, "auditor")
    request.refresh_from_db()
    assert (request.audit_seq, request.version) == (seq, version)
    assert not AuditEvent.objects.filter(case_id=request.pk, action="restricted_read").exists()
    assert not OutboxMessage.objects.filter(case_id=request.pk, event="restricted_read").exists()
    with pytest.raises(NotPermitted):
        services.outcome_read_restricted(request=request, actor=w.other_cso_coordinator)
