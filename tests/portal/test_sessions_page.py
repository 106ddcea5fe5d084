"""The dialogue series on the request page: sessions, their buttons as the flow allows, registration, attendance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from engine import calendar
from workflows.partnership import services
from workflows.partnership.models import Participant

from .conftest import draft, meeting_data, outcome_data, url, walk

pytestmark = pytest.mark.django_db


def business_day(after: int, hour: int = 10) -> dt.datetime:
    day = calendar.next_business_day(timezone.localdate() + dt.timedelta(days=after - 1))
    return calendar.start_of_workday(day).replace(hour=hour, minute=0)


def series_of_two(world, capacity=None):
    request = walk(world, draft(world), "approved")
    services.meeting_schedule(
        request=request, actor=world.secretariat, data=meeting_data(business_day(3), capacity=capacity or "")
    )
    services.meeting_schedule(
        request=request, actor=world.secretariat, data=meeting_data(business_day(7), kind="workshop")
    )
    first, second = request.meetings.order_by("number")
    return request, first, second


def test_the_page_lists_the_series_with_only_the_buttons_each_person_may_use(client, world):
    request, first, second = series_of_two(world)

    def page(user):
        client.force_login(user)
        return client.get(url("portal:request_detail", reference=request.reference))

    # the secretariat may reschedule, cancel and register on each session
    body = page(world.secretariat).content.decode()
    assert "Session 1: Roundtable" in body and "Session 2: Workshop" in body
    do = url("portal:request_action", reference=request.reference, name="reschedule_meeting")
    assert f"{do}?session={first.pk}" in body and f"{do}?session={second.pk}" in body
    assert url("portal:session_register", reference=request.reference, pk=first.pk) in body
    # not yet started: no one may record it
    assert "name=record_meeting" not in body and "/do/record_meeting/?session" not in body

    # a party's coordinator may register people but not move sessions
    body = page(world.cso_coordinator).content.decode()
    assert url("portal:session_register", reference=request.reference, pk=first.pk) in body
    assert f"{do}?session=" not in body
    # a committee member sees the series and no button
    body = page(world.gov[0]).content.decode()
    assert "Session 2: Workshop" in body
    assert "/register/" not in body and f"{do}?session=" not in body


def test_registration_in_the_browser_refuses_the_place_beyond_capacity(client, world):
    request, first, _second = series_of_two(world, capacity=1)
    client.force_login(world.cso_coordinator)
    register = url("portal:session_register", reference=request.reference, pk=first.pk)

    ok = client.post(register, {"name": "Rima", "organization": world.cso.pk, "gender": "female", "role": "speaker"})
    full = client.post(register, {"name": "Nour", "organization": world.cso.pk, "gender": "male"})
    arabic = client.post(
        url("portal:session_register", "ar", reference=request.reference, pk=first.pk),
        {"name": "Nour", "organization": world.cso.pk, "gender": "male"},
    )

    assert ok.status_code == 302
    assert full.status_code == 409
    assert "Session 1 is full" in full.content.decode()
    assert arabic.status_code == 409 and "الجلسة 1 ممتلئة" in arabic.content.decode()
    assert list(Participant.objects.values_list("name", "side")) == [("Rima", "civil")]


def test_attendance_is_entered_per_person_and_the_figures_reach_outcome_and_dashboard(client, world):
    request, first, second = series_of_two(world)
    services.participant_register(
        request=request,
        actor=world.secretariat,
        data={"session": first.pk, "name": "Karim", "organization": world.ministry.pk, "gender": "male"},
    )
    services.meeting_cancel(request=request, actor=world.secretariat, session=second.pk, reason="Merged")
    first.refresh_from_db()
    first.starts_at, first.ends_at = timezone.now() - dt.timedelta(hours=3), timezone.now() - dt.timedelta(hours=1)
    first.save(update_fields=["starts_at", "ends_at"])
    services.meeting_record(request=request, actor=world.secretariat, attended_organizations=[world.ministry.pk])
    client.force_login(world.secretariat)
    attendance = url("portal:session_attendance", reference=request.reference, pk=first.pk)
    karim = Participant.objects.get(name="Karim")

    # when the secretariat ticks Karim and adds a walk-in
    answer = client.post(
        attendance,
        {
            "present": [str(karim.pk)],
            "walkin-0-name": "Rima",
            "walkin-0-organization_name": "Press club",
            "walkin-0-side": "civil",
            "walkin-0-gender": "female",
            "walkin-0-role": "observer",
        },
    )

    # then both count, by side and gender, on the page, the outcome and the dashboard
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Participant.objects.filter(meeting=first, attended=True).count() == 2
    services.outcome_document(request=request, actor=world.secretariat, data=outcome_data())
    body = client.get(url("portal:request_detail", reference=request.reference)).content.decode()
    assert "Attendance by side and gender" in body
    assert '<th scope="row">Public sector</th><td>0</td><td>1</td><td>0</td><td>1</td>' in body
    assert '<th scope="row">Civil society</th><td>1</td><td>0</td><td>0</td><td>1</td>' in body
    csv = client.get(url("portal:dashboard_csv", "en", key="attendance")).content.decode()
    assert "Public sector,0,1,0,1" in csv and "Civil society,1,0,0,1" in csv and "Total,1,1,0,2" in csv
    dashboard = client.get(url("portal:dashboard", "en")).content.decode()
    assert "Attendance at dialogue sessions by side and gender" in dashboard


def test_a_bad_walk_in_is_refused_with_its_reason_and_nothing_changes(client, world):
    request, first, second = series_of_two(world)
    services.meeting_cancel(request=request, actor=world.secretariat, session=second.pk, reason="Merged")
    first.starts_at, first.ends_at = timezone.now() - dt.timedelta(hours=3), timezone.now() - dt.timedelta(hours=1)
    first.save(update_fields=["starts_at", "ends_at"])
    services.meeting_record(request=request, actor=world.secretariat, attended_organizations=[world.cso.pk])
    client.force_login(world.secretariat)

    answer = client.post(
        url("portal:session_attendance", reference=request.reference, pk=first.pk),
        {"walkin-0-name": "Rima", "walkin-0-organization_name": "Press club", "walkin-0-side": "civil"},
    )

    assert answer.status_code == 400
    assert "Person 1" in answer.content.decode()
    assert not Participant.objects.exists()


def test_a_sessions_button_opens_the_form_on_that_session_and_runs_on_it(client, world):
    request, first, second = series_of_two(world)
    client.force_login(world.secretariat)
    do = url("portal:request_action", reference=request.reference, name="cancel_meeting")

    form = client.get(f"{do}?session={second.pk}")
    done = client.post(do, {"session": str(second.pk), "reason": "Merged into the roundtable", "version": ""})

    assert form.status_code == 200
    assert f'<option value="{second.pk}" selected>' in form.content.decode()
    assert done.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.sequence) == ("scheduled", "cancelled", 1)
    request.refresh_from_db()
    assert request.state == "meeting_scheduled"
