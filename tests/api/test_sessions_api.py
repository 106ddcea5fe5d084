"""The dialogue series over HTTP: three sessions, per-person registration and attendance, calendars, capacity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from engine import calendar
from engine.models import AuditEvent
from workflows.partnership.models import Meeting, Participant

pytestmark = pytest.mark.django_db


def business_day(after: int, hour: int = 10) -> dt.datetime:
    """``hour`` o'clock on the first business day at least ``after`` days from today (local time)."""
    day = calendar.next_business_day(timezone.localdate() + dt.timedelta(days=after - 1))
    return calendar.start_of_workday(day).replace(hour=hour, minute=0)


def session_body(start: dt.datetime, **overrides):
    body = {
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "location": "Grand Serail, Beirut",
        "agenda": "1. Opening\n2. Diversion measures",
    }
    body.update(overrides)
    return body


def person(name: str, side: str, gender: str, organization=None, **extra):
    body = {"name": name, "side": side, "gender": gender, **extra}
    if organization is not None:
        body["organization"] = organization.pk
    else:
        body.setdefault("organization_name", "Independent")
    return body


def url(request, tail: str = "") -> str:
    return f"/api/v1/requests/{request.reference}/sessions/{tail}"


def schedule(client, request, start, **overrides) -> dict:
    answer = client.post(url(request), session_body(start, **overrides), format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_a_series_of_three_sessions_with_attendance_by_person_side_and_gender(partnership_world, client_for):
    # given an approved request and the secretariat
    w = partnership_world
    from tests.workflows.partnership.conftest import draft, walk

    request = walk(w, draft(w), "approved")
    secretariat, cso, ministry = (
        client_for(w.secretariat),
        client_for(w.cso_coordinator),
        client_for(w.ministry_coordinator),
    )

    # when a roundtable, a workshop and a follow-up meeting are scheduled
    first = schedule(secretariat, request, business_day(3), kind="roundtable", capacity=3)
    second = schedule(secretariat, request, business_day(8), kind="workshop", title="Drafting the guidelines")
    third = schedule(secretariat, request, business_day(14), kind="follow_up")

    # then they are sessions 1, 2 and 3 of the series, each with its own calendar UID
    assert [s["number"] for s in (first, second, third)] == [1, 2, 3]
    assert [s["kind"] for s in (first, second, third)] == ["roundtable", "workshop", "follow_up"]
    assert len({first["uid"], second["uid"], third["uid"]}) == 3
    request.refresh_from_db()
    assert request.state == "meeting_scheduled"

    # when the parties and the secretariat register people for the roundtable (capacity 3)
    answers = [
        cso.post(
            url(request, f"{first['id']}/registrations/"), person("Rima", "civil", "female", w.cso), format="json"
        ),
        ministry.post(
            url(request, f"{first['id']}/registrations/"),
            person("Karim", "public", "male", w.ministry, role="speaker"),
            format="json",
        ),
        secretariat.post(
            url(request, f"{first['id']}/registrations/"), person("Hala", "public", "female", w.ministry), format="json"
        ),
    ]
    assert [a.status_code for a in answers] == [201, 201, 201], [a.content for a in answers]
    # the side defaults to the organization's
    assert Participant.objects.get(name="Rima").side == "civil"
    full = cso.post(
        url(request, f"{first['id']}/registrations/"), person("Nour", "civil", "male", w.cso), format="json"
    )

    # then the fourth is refused: the session is full, and nothing was written
    assert full.status_code == 409, full.content
    assert full.json()["reasons"][0]["code"] == "session_full"
    assert "full" in full.json()["reasons"][0]["message"]
    assert Participant.objects.filter(meeting_id=first["id"]).count() == 3

    # when the roundtable is held: two of three came, plus a walk-in journalist
    registered = {p.name: p.pk for p in Participant.objects.filter(meeting_id=first["id"])}
    from tests.workflows.partnership.conftest import travel

    with travel(business_day(3, hour=13)):
        held = client_for(w.secretariat).post(
            url(request, f"{first['id']}/record/"),
            {
                "minutes": "Roundtable: the parties agreed to draft guidelines.",
                "present": [registered["Rima"], registered["Karim"]],
                "walk_ins": [person("Maya", "civil", "female", role="observer", organization_name="Press")],
            },
            format="json",
        )
    assert held.status_code == 200, held.content
    assert held.json()["status"] == "held"
    assert held.json()["figures"]["by_side"] == {"public": 1, "civil": 2}
    assert held.json()["figures"]["by_gender"] == {"female": 2, "male": 1, "undisclosed": 0}
    request.refresh_from_db()
    assert request.state == "meeting_scheduled"  # two sessions still to come

    # when the workshop and the follow-up meeting are held with their own attendance
    with travel(business_day(8, hour=13)):
        answer = client_for(w.secretariat).post(
            url(request, f"{second['id']}/record/"),
            {
                "minutes": "Workshop: first draft reviewed.",
                "walk_ins": [
                    person("Omar", "public", "male", w.ministry),
                    person("Lina", "public", "female", w.ministry, role="facilitator"),
                    person("Sami", "civil", "undisclosed", w.cso),
                ],
            },
            format="json",
        )
        assert answer.status_code == 200, answer.content
    with travel(business_day(14, hour=13)):
        answer = client_for(w.secretariat).post(
            url(request, f"{third['id']}/record/"),
            {"minutes": "Follow-up: guidelines adopted.", "walk_ins": [person("Rima", "civil", "female", w.cso)]},
            format="json",
        )
        assert answer.status_code == 200, answer.content
    request.refresh_from_db()
    assert request.state == "meeting_held"

    # and the outcome is documented
    from tests.workflows.partnership.conftest import outcome_data

    documented = secretariat.post(
        f"/api/v1/requests/{request.reference}/transitions/document_outcome/", outcome_data(), format="json"
    )
    assert documented.status_code == 200, documented.content

    # then the outcome documents the series: every session with its minutes and figures
    event = AuditEvent.objects.get(case_id=request.pk, action="document_outcome")
    series = event.data["sessions"]
    assert [(s["number"], s["kind"], s["status"]) for s in series] == [
        (1, "roundtable", "held"),
        (2, "workshop", "held"),
        (3, "follow_up", "held"),
    ]
    assert series[1]["minutes"] == "Workshop: first draft reviewed."
    detail = secretariat.get(f"/api/v1/requests/{request.reference}/").json()
    assert detail["state"] == "outcome_documented"
    outcome = detail["outcome"]
    assert [s["minutes"] for s in outcome["series"]] == [
        "Roundtable: the parties agreed to draft guidelines.",
        "Workshop: first draft reviewed.",
        "Follow-up: guidelines adopted.",
    ]
    # attendances over the series: 3 + 3 + 1 = 7; by side 3 public, 4 civil; by gender 4 female, 2 male, 1 undisclosed
    figures = outcome["figures"]
    assert figures["attended"] == 7
    assert figures["by_side"] == {"public": 3, "civil": 4}
    assert figures["by_gender"] == {"female": 4, "male": 2, "undisclosed": 1}
    assert figures["by_side_and_gender"]["civil"] == {"female": 3, "male": 0, "undisclosed": 1}


def test_each_session_has_a_stable_uid_and_a_rising_sequence(partnership_world, client_for):
    w = partnership_world
    from tests.workflows.partnership.conftest import draft, walk

    request = walk(w, draft(w), "approved")
    secretariat = client_for(w.secretariat)
    first = schedule(secretariat, request, business_day(3))
    second = schedule(secretariat, request, business_day(6), kind="workshop")

    def ics(session) -> str:
        answer = secretariat.get(url(request, f"{session['id']}/session.ics"))
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/calendar")
        return answer.content.decode().replace("\r\n ", "")

    before = ics(first)
    assert f"UID:{first['uid']}" in before and "SEQUENCE:0" in before and "METHOD:REQUEST" in before

    # when the first session moves twice and is then cancelled
    for days in (4, 5):
        moved = secretariat.post(
            url(request, f"{first['id']}/reschedule/"), session_body(business_day(days)), format="json"
        )
        assert moved.status_code == 200, moved.content
    assert moved.json()["sequence"] == 2
    moved_ics = ics(first)
    cancelled = secretariat.post(
        url(request, f"{first['id']}/cancel/"), {"reason": "Minister travelling"}, format="json"
    )
    assert cancelled.status_code == 200, cancelled.content

    # then its UID never changed, SEQUENCE rose with each change, and the last file cancels it
    assert f"UID:{first['uid']}" in moved_ics and "SEQUENCE:2" in moved_ics
    after = ics(first)
    assert f"UID:{first['uid']}" in after and "SEQUENCE:3" in after
    assert "METHOD:CANCEL" in after and "STATUS:CANCELLED" in after
    # the other session is untouched and keeps the request scheduled
    other = ics(second)
    assert f"UID:{second['uid']}" in other and "SEQUENCE:0" in other and "METHOD:REQUEST" in other
    request.refresh_from_db()
    assert request.state == "meeting_scheduled"

    # when the last scheduled session is cancelled, the request is back to approved
    answer = secretariat.post(url(request, f"{second['id']}/cancel/"), {"reason": "Postponed"}, format="json")
    assert answer.status_code == 200, answer.content
    request.refresh_from_db()
    assert request.state == "approved"


def test_the_invitation_email_carries_the_calendar_of_its_own_session(
    partnership_world, client_for, settings, django_capture_on_commit_callbacks
):
    w = partnership_world
    from django.core import mail

    from tests.workflows.partnership.conftest import draft, walk

    request = walk(w, draft(w), "approved")
    secretariat = client_for(w.secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        first = schedule(secretariat, request, business_day(3))
    with django_capture_on_commit_callbacks(execute=True):
        second = schedule(secretariat, request, business_day(6), kind="workshop")
    with django_capture_on_commit_callbacks(execute=True):
        answer = secretariat.post(url(request, f"{first['id']}/cancel/"), {"reason": "Merged"}, format="json")
    assert answer.status_code == 200, answer.content

    to_cso = [m for m in mail.outbox if m.to == ["cso-coordinator@example.org"]]
    calendars = [attachment[1] for message in to_cso for attachment in message.attachments]
    assert len(calendars) == 3
    # each email carries the calendar of the session it is about
    assert f"UID:{first['uid']}" in calendars[0] and "METHOD:REQUEST" in calendars[0]
    assert f"UID:{second['uid']}" in calendars[1] and "METHOD:REQUEST" in calendars[1]
    assert f"UID:{first['uid']}" in calendars[2] and "METHOD:CANCEL" in calendars[2]


def test_bad_registration_input_gets_translated_field_errors_and_changes_nothing(partnership_world, client_for):
    w = partnership_world
    from tests.workflows.partnership.conftest import draft, walk

    request = walk(w, draft(w), "approved")
    session = schedule(client_for(w.secretariat), request, business_day(3), capacity=10)
    arabic = client_for(w.cso_coordinator, language="ar")

    unknown_gender = arabic.post(
        url(request, f"{session['id']}/registrations/"), person("Rima", "civil", "x", w.cso), format="json"
    )
    no_organization = arabic.post(
        url(request, f"{session['id']}/registrations/"), {"name": "Rima", "gender": "female"}, format="json"
    )

    assert unknown_gender.status_code == 400, unknown_gender.content
    assert set(unknown_gender.json()["errors"]) == {"gender"}
    assert no_organization.status_code == 400, no_organization.content
    errors = no_organization.json()["errors"]
    assert set(errors) == {"organization", "side"}
    assert errors["organization"] == ["اختر منظمة الشخص أو اذكر اسمها."]
    assert not Participant.objects.exists()

    # a walk-in without a gender: the person and the field are named
    from tests.workflows.partnership.conftest import travel

    with travel(business_day(3, hour=13)):
        answer = client_for(w.secretariat).post(
            url(request, f"{session['id']}/record/"),
            {"walk_ins": [{"name": "Maya", "organization_name": "Press", "side": "civil"}]},
            format="json",
        )
    assert answer.status_code == 400, answer.content
    assert "Person 1" in answer.json()["errors"]["walk_ins"][0]
    assert Meeting.objects.get(pk=session["id"]).status == "scheduled"


def test_sessions_are_seen_as_the_flow_decides(partnership_world, client_for):
    w = partnership_world
    from tests.workflows.partnership.conftest import draft, walk

    request = walk(w, draft(w), "approved")
    session = schedule(client_for(w.secretariat), request, business_day(3))
    client_for(w.cso_coordinator).post(
        url(request, f"{session['id']}/registrations/"), person("Rima", "civil", "female", w.cso), format="json"
    )

    # an organization not party to the request does not see it at all
    assert client_for(w.other_cso_coordinator).get(url(request)).status_code == 404
    assert client_for(w.other_cso_coordinator).get(url(request, f"{session['id']}/session.ics")).status_code == 404
    # a committee member sees the series but not who registered
    member = client_for(w.gov[0])
    assert member.get(url(request)).status_code == 200
    assert member.get(url(request, f"{session['id']}/registrations/")).status_code == 403
    # nor may a committee member register people
    refused = member.post(
        url(request, f"{session['id']}/registrations/"), person("Ali", "public", "male", w.ministry), format="json"
    )
    assert refused.status_code == 403
    # the parties see the registrations
    people = client_for(w.ministry_coordinator).get(url(request, f"{session['id']}/registrations/")).json()
    assert [p["name"] for p in people] == ["Rima"]


def test_outcome_waits_for_the_minutes_of_every_session(partnership_world, client_for):
    w = partnership_world
    from tests.workflows.partnership.conftest import draft, outcome_data, travel, walk

    request = walk(w, draft(w), "approved")
    secretariat = client_for(w.secretariat)
    first = schedule(secretariat, request, business_day(3))
    second = schedule(secretariat, request, business_day(6), kind="workshop")
    for session, days in ((first, 3), (second, 6)):
        with travel(business_day(days, hour=13)):
            answer = client_for(w.secretariat).post(
                url(request, f"{session['id']}/record/"), {"attended_organizations": [w.cso.pk]}, format="json"
            )
            assert answer.status_code == 200, answer.content

    refused = secretariat.post(
        f"/api/v1/requests/{request.reference}/transitions/document_outcome/", outcome_data(), format="json"
    )

    assert refused.status_code == 409, refused.content
    assert refused.json()["reasons"][0]["code"] == "session_minutes_missing"
    request.refresh_from_db()
    assert request.state == "meeting_held"
