"""Scheduling on the configured calendar: a weekend or holiday needs an explicit override with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

import engine
from engine import calendar
from engine.errors import GuardFailed, InvalidInput
from engine.models import AuditEvent
from workflows.partnership import services
from workflows.partnership.models import Meeting

from .conftest import draft, meeting_data, walk

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=calendar.local_zone())


def next_saturday() -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


def next_christmas() -> dt.date:
    return dt.date(timezone.localdate().year + 1, 12, 25)


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def test_a_weekend_meeting_is_refused_without_an_override(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "approved")
    saturday = next_saturday()
    assert not calendar.is_business_day(saturday)
    with pytest.raises(GuardFailed) as caught:
        services.meeting_schedule(request=request, actor=w.secretariat, data=meeting_data(_at(saturday)))
    assert caught.value.reasons[0].code == "non_business_day" and "weekend" in caught.value.reasons[0].text()
    # the override needs a reason
    with pytest.raises(InvalidInput) as invalid:
        services.meeting_schedule(
            request=request, actor=w.secretariat, data=meeting_data(_at(saturday), allow_non_business_day=True)
        )
    assert list(invalid.value.errors) == ["override_reason"]
    request.refresh_from_db()
    assert request.state == "approved" and not Meeting.objects.filter(request=request).exists()
    # with both, it is scheduled and the override is audited
    services.meeting_schedule(
        request=request,
        actor=w.secretariat,
        data=meeting_data(_at(saturday), allow_non_business_day=True, override_reason="The minister's only free day."),
    )
    assert request.state == "meeting_scheduled"
    event = AuditEvent.objects.get(case_id=request.pk, action="schedule_meeting")
    assert event.data["non_business_day"] == {
        "date": saturday.isoformat(),
        "holiday": "",
        "reason": "The minister's only free day.",
    }


def test_a_business_day_meeting_records_no_override(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_scheduled")
    event = AuditEvent.objects.get(case_id=request.pk, action="schedule_meeting")
    assert "non_business_day" not in event.data


def test_rescheduling_onto_a_holiday_is_refused_over_the_api_in_both_languages(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_scheduled")
    christmas = next_christmas()
    assert calendar.holiday_name(christmas)
    _instance, token = AuthToken.objects.create(user=w.secretariat)
    path = f"/api/v1/requests/{request.reference}/transitions/reschedule_meeting/"
    body = meeting_data(_at(christmas), reason="Moved.")
    for language in ("en", "ar"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post(path, body, format="json")
        assert response.status_code == 409, response.content
        reason = response.json()["reasons"][0]
        assert reason["code"] == "non_business_day"
        assert ("not a business day" in reason["message"]) if language == "en" else _arabic(reason["message"])
    before = request.meetings.get().starts_at
    response = client.post(
        path, {**body, "allow_non_business_day": True, "override_reason": "Only date the hall is free."}, format="json"
    )
    assert response.status_code == 200, response.content
    moved = request.meetings.get()
    assert moved.starts_at != before and timezone.localtime(moved.starts_at, calendar.local_zone()).date() == christmas
    event = AuditEvent.objects.filter(case_id=request.pk, action="reschedule_meeting").latest("seq")
    assert event.data["non_business_day"]["holiday"] and event.data["non_business_day"]["date"] == christmas.isoformat()


def test_guards_read_the_actions_time_not_the_wall_clock(partnership_world):
    # given a meeting start on a business day, an hour before the action's (as-of) time
    w = partnership_world
    request = walk(w, draft(w), "approved")
    start = _at(calendar.next_business_day(timezone.localdate() + dt.timedelta(days=7)))
    # when the action runs as of after that start, the start is in its past, whatever the wall clock says
    with pytest.raises(GuardFailed) as caught:
        engine.run(
            request,
            "schedule_meeting",
            actor=w.secretariat,
            data=meeting_data(start),
            occurred_at=start + dt.timedelta(hours=1),
        )
    assert [reason.code for reason in caught.value.reasons] == ["meeting_in_past"]
    # and as of now it is accepted
    engine.run(request, "schedule_meeting", actor=w.secretariat, data=meeting_data(start))
    assert request.state == "meeting_scheduled"
