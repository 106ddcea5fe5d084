"""Whole lives of dialogue requests, walked as the people involved would, then checked against the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from engine.audit import verify_all
from engine.errors import NotPermitted
from engine.models import AuditEvent, OutboxMessage, SlaClock
from tests.factories import business_day
from workflows.partnership import services
from workflows.partnership.models import ActionItem, ConflictDeclaration, Meeting, MinutesConfirmation

from .conftest import draft, meeting_data, outcome_data, travel

pytestmark = pytest.mark.django_db


def actions_of(request):
    return list(
        AuditEvent.objects.filter(case_type="partnership.dialoguerequest", case_id=request.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_cso_request_lives_from_draft_to_closed(partnership_world):
    w = partnership_world
    # given a CSO coordinator's draft naming the ministry as counterpart
    request = draft(w, by="cso")
    assert request.reference.startswith("DR-") and request.state == "draft"

    # when the CSO submits, the secretariat asks for information and the CSO answers
    services.request_submit(request=request, actor=w.cso_coordinator)
    services.request_info_request(request=request, actor=w.secretariat, message="Which courts are concerned?")
    services.request_info_provide(request=request, actor=w.cso_coordinator, message="Beirut and Tripoli.")
    assert request.info_requests.get().answer == "Beirut and Tripoli."

    # and the secretariat accepts: the committee member from the CSO is recused automatically
    services.request_accept(request=request, actor=w.secretariat)
    assert request.state == "in_committee"
    assert ConflictDeclaration.objects.get(request=request).member == w.conflicted
    with pytest.raises(NotPermitted) as refused:
        services.vote_cast(request=request, actor=w.conflicted, decision="approve")
    assert refused.value.reasons[0].code == "recused"
    assert refused.value.reasons[0].article == "5"

    # the others vote; the third approval settles it and the engine approves
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    services.vote_cast(request=request, actor=w.cso_seats[1], decision="approve", reason="In scope.")
    assert request.state == "in_committee"
    services.vote_cast(request=request, actor=w.gov[1], decision="approve")
    assert request.state == "approved" and request.decision == "approved"

    # the meeting is scheduled, then moved by a day
    start = business_day(timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    services.meeting_schedule(request=request, actor=w.secretariat, data=meeting_data(start))
    meeting = request.meetings.get()
    assert set(meeting.invitees.all()) == {w.cso_coordinator, w.ministry_coordinator}
    new_start = business_day(start + dt.timedelta(days=1))
    services.meeting_reschedule(
        request=request, actor=w.secretariat, data=meeting_data(new_start, reason="Room unavailable")
    )
    meeting.refresh_from_db()
    assert (meeting.sequence, meeting.starts_at, meeting.changes.get().old_starts_at) == (1, new_start, start)
    ics = services.meeting_ics(meeting).decode()
    assert f"UID:{meeting.uid}" in ics and "SEQUENCE:1" in ics

    with travel(new_start + dt.timedelta(hours=3)):
        # the meeting is held and documented, and both parties confirm the minutes
        services.meeting_record(request=request, actor=w.secretariat, attended_organizations=[w.cso.pk, w.ministry.pk])
        services.outcome_document(request=request, actor=w.secretariat, data=outcome_data())
        services.minutes_confirm(request=request, actor=w.cso_coordinator)
        assert request.minutes_confirmed_at is None
        services.minutes_confirm(request=request, actor=w.ministry_coordinator)
        assert request.minutes_confirmed_at is not None and request.published

        # two actions are followed up: one done, one dropped with a justification
        guidelines = services.action_item_create(
            request=request,
            actor=w.secretariat,
            description="Draft implementing guidelines",
            owner_organization=w.ministry,
            due_date="2027-03-01",
        )
        training = services.action_item_create(
            request=request,
            actor=w.secretariat,
            description="Train juvenile judges",
            owner_organization=w.cso.pk,
            due_date="2027-04-01",
        )
        services.request_follow_up_start(request=request, actor=w.secretariat)
        services.action_update_add(
            item=guidelines,
            actor=w.ministry_coordinator,
            text="Guidelines adopted by the minister.",
            evidence_url="https://example.gov.lb/decree-12",
            status="done",
        )
        services.action_item_update(
            item=training,
            actor=w.cso_coordinator,
            status="dropped",
            justification="The judicial training institute took it over.",
        )
        services.request_close(request=request, actor=w.secretariat)

    # then the request is closed and its whole history is on one verified chain
    request.refresh_from_db()
    assert request.state == "closed"
    assert list(ActionItem.objects.filter(request=request).values_list("status", flat=True)) == ["done", "dropped"]
    assert actions_of(request) == [
        "create",
        "submit",
        "request_info",
        "provide_info",
        "accept",
        "conflict_recused",
        "vote_cast",
        "vote_cast",
        "vote_cast",
        "approve",
        "schedule_meeting",
        "reschedule_meeting",
        "record_meeting",
        "document_outcome",
        "confirm_minutes",
        "confirm_minutes",
        "action_item_created",
        "action_item_created",
        "start_follow_up",
        "action_update_added",
        "action_status_changed",
        "action_status_changed",
        "close",
    ]
    report = verify_all()
    assert report.ok, report.as_dict()
    assert OutboxMessage.objects.filter(case_id=request.pk, event="approve").exists()
    assert not SlaClock.objects.filter(case_id=request.pk, stopped_at__isnull=True).exists()


def test_ministry_request_lives_from_draft_to_closed_without_actions(partnership_world):
    w = partnership_world
    # given a ministry's request to the CSO (the CSO's committee member is conflicted again)
    request = draft(w, by="ministry", format="consultation")
    services.request_submit(request=request, actor=w.ministry_coordinator)
    services.request_accept(request=request, actor=w.secretariat)
    # when the committee splits evenly and the chair casts the deciding vote
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    services.vote_cast(request=request, actor=w.gov[1], decision="reject", reason="Timing is poor.")
    services.vote_cast(request=request, actor=w.cso_seats[1], decision="approve")
    services.vote_cast(request=request, actor=w.chair, decision="reject", reason="Premature.")
    assert request.state == "in_committee"
    services.request_decide(request=request, actor=w.chair, decision="approve", reason="Dialogue is overdue.")
    assert (request.state, request.decision) == ("approved", "approved")
    # and the meeting takes place with the outcome restricted, confirmed by both parties
    start = business_day(timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    services.meeting_schedule(request=request, actor=w.secretariat, data=meeting_data(start))
    with travel(start + dt.timedelta(minutes=30)):
        services.meeting_record(request=request, actor=w.secretariat, attended_organizations=[w.ministry.pk])
        services.outcome_document(
            request=request,
            actor=w.secretariat,
            data=outcome_data(visibility="restricted", restriction_reason="Draft law under negotiation."),
        )
        services.minutes_confirm(request=request, actor=w.ministry_coordinator)
        services.minutes_confirm(request=request, actor=w.cso_coordinator)
        # then, with no follow-up actions, it closes straight from the documented outcome
        services.request_close(request=request, actor=w.secretariat)
    request.refresh_from_db()
    assert request.state == "closed"
    assert request.published is False  # restricted outcomes are not published
    assert actions_of(request) == [
        "create",
        "submit",
        "accept",
        "conflict_recused",
        "vote_cast",
        "vote_cast",
        "vote_cast",
        "vote_cast",
        "committee_tied",
        "decide",
        "schedule_meeting",
        "record_meeting",
        "document_outcome",
        "confirm_minutes",
        "confirm_minutes",
        "close",
    ]
    meeting = Meeting.objects.get(request=request)
    assert {(a.organization_id, a.present) for a in meeting.attendance.all()} == {
        (w.ministry.pk, True),
        (w.cso.pk, False),
    }
    assert MinutesConfirmation.objects.filter(outcome__request=request, silent=False).count() == 2
    assert verify_all().ok
