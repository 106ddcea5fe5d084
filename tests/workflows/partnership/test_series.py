"""The dialogue series at the service level: existing meetings become session 1; a lone session keeps the outcome's minutes."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from engine import calendar
from workflows.partnership import services
from workflows.partnership.models import Meeting

from .conftest import draft, meeting_data, outcome_data, walk

pytestmark = pytest.mark.django_db


def business_start(after: int = 3) -> dt.datetime:
    """10:00 on the first business day at least ``after`` days ahead (scheduling warns on other days)."""
    day = calendar.next_business_day(timezone.localdate() + dt.timedelta(days=after - 1))
    return calendar.start_of_workday(day).replace(hour=10, minute=0)


MIGRATION = importlib.import_module("workflows.partnership.migrations.0005_dialogue_series")


def test_existing_meetings_become_the_sessions_of_their_request_first_one_first(partnership_world):
    # given a workshop request whose first meeting was cancelled and second held, numbered as before the series
    w = partnership_world
    request = walk(w, draft(w, format="workshop"), "approved")
    services.meeting_schedule(request=request, actor=w.secretariat, data=meeting_data(business_start()))
    services.meeting_cancel(request=request, actor=w.secretariat, reason="Minister travelling")
    request = walk(w, request, "meeting_held")
    first, second = Meeting.objects.filter(request=request).order_by("created_at", "id")
    Meeting.objects.filter(pk=first.pk).update(number=7, kind="roundtable")
    Meeting.objects.filter(pk=second.pk).update(number=9, kind="roundtable", held_at=None)

    # when the data migration runs
    MIGRATION.number_existing_meetings(apps, None)

    # then the first meeting is session 1, the next session 2, with the request's format as theirs
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.number, first.kind, first.status) == (1, "workshop", "cancelled")
    assert (second.number, second.kind, second.status) == (2, "workshop", "held")
    assert second.held_at == second.updated_at


def test_the_single_meeting_lifecycle_documents_its_lone_session_with_the_outcomes_minutes(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")

    services.outcome_document(request=request, actor=w.secretariat, data=outcome_data(minutes="We agreed."))

    session = request.meetings.get()
    assert (session.number, session.minutes) == (1, "We agreed.")
    event = request_event(request, "document_outcome")
    assert [(s["number"], s["minutes"]) for s in event.data["sessions"]] == [(1, "We agreed.")]


def request_event(request, action):
    from engine.models import AuditEvent

    return AuditEvent.objects.get(case_id=request.pk, case_type=request.case_type(), action=action)


def test_a_request_whose_first_session_was_held_cannot_be_withdrawn_while_a_follow_up_is_scheduled(
    partnership_world,
):
    # given a held roundtable and a follow-up meeting scheduled after it
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    services.meeting_schedule(
        request=request, actor=w.secretariat, data=meeting_data(business_start(), kind="follow_up")
    )
    assert request.state == "meeting_scheduled"

    # when the requester tries to withdraw
    from engine.errors import GuardFailed

    with pytest.raises(GuardFailed) as refused:
        services.request_withdraw(request=request, actor=w.cso_coordinator, reason="Changed our mind")

    # then the dialogue that took place stays, and so does the follow-up session
    assert [reason.code for reason in refused.value.reasons] == ["session_held"]
    request.refresh_from_db()
    assert request.state == "meeting_scheduled"
    assert request.meetings.filter(status="scheduled").count() == 1
