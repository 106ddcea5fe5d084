"""Two registrations for a session's last place at the same instant: one gets it, the other is told it is full."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine import calendar
from engine.audit import verify_all
from engine.errors import GuardFailed
from engine.models import AuditEvent
from tests.concurrency import race
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest, Participant

from .conftest import draft, meeting_data, walk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_registrations_for_the_last_place_one_is_refused(partnership_world):
    # given a session with one place left
    w = partnership_world
    request = walk(w, draft(w), "approved")
    day = calendar.next_business_day(timezone.localdate() + dt.timedelta(days=2))
    start = calendar.start_of_workday(day).replace(hour=10)
    services.meeting_schedule(request=request, actor=w.secretariat, data=meeting_data(start, capacity=2))
    session = request.meetings.get()
    services.participant_register(
        request=request,
        actor=w.secretariat,
        data={"session": session.pk, "name": "Hala", "organization": w.ministry.pk, "gender": "female"},
    )
    registrants = [w.cso_coordinator, w.ministry_coordinator]
    organizations = [w.cso, w.ministry]

    # when two coordinators register someone at the same instant
    def register(index: int) -> str:
        actor = get_user_model().objects.get(pk=registrants[index].pk)
        services.participant_register(
            request=DialogueRequest.objects.get(pk=request.pk),
            actor=actor,
            data={
                "session": session.pk,
                "name": f"Person {index}",
                "organization": organizations[index].pk,
                "gender": "male",
            },
        )
        return "registered"

    outcomes = race(register, 2)

    # then exactly one got the place, the other was refused as full, and the history is intact
    kinds = Counter(o if isinstance(o, str) else type(o).__name__ for o in outcomes)
    assert kinds == {"registered": 1, "GuardFailed": 1}, outcomes
    refusal = next(o for o in outcomes if isinstance(o, GuardFailed))
    assert [reason.code for reason in refusal.reasons] == ["session_full"]
    assert Participant.objects.filter(meeting=session).count() == 2
    assert AuditEvent.objects.filter(case_id=request.pk, action="participant_registered").count() == 2
    assert verify_all().ok
