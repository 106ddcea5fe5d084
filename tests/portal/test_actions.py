from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from engine.models import AuditEvent, OutboxMessage
from tests.factories import business_day
from workflows.partnership.models import DialogueRequest

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def action_url(case, name, language="en"):
    return url("portal:request_action", language, reference=case.reference, name=name)


def reload(case):
    return DialogueRequest.objects.get(pk=case.pk)


def test_an_action_form_opens_as_a_fragment_for_htmx_and_as_a_page_without_it(client, world):
    case = walk(world, draft(world), "submitted")
    client.force_login(world.secretariat)
    fragment = client.get(action_url(case, "decline"), headers=HTMX).content.decode()
    page = client.get(action_url(case, "decline")).content.decode()
    assert "<html" not in fragment and 'name="reason"' in fragment and 'name="article"' in fragment
    assert "<html" in page and 'name="reason"' in page
    # the article is chosen from the charter in force
    assert "Article 4" in fragment


def test_the_requester_submits_and_the_page_updates_in_place(client, world):
    # given
    case = draft(world)
    client.force_login(world.cso_coordinator)
    # when
    response = client.post(action_url(case, "submit"), {"version": case.version}, headers=HTMX)
    # then: the refreshed request body comes back, targeted at the page's body
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#request-body"
    assert "Submitted" in response.content.decode()
    assert reload(case).state == "submitted"
    event = AuditEvent.objects.get(case_id=case.pk, action="submit")
    assert event.actor == world.cso_coordinator and event.ip_address == "127.0.0.1"
    assert OutboxMessage.objects.filter(case_id=case.pk, event="submit").exists()


def test_without_javascript_an_action_redirects_back_to_the_request(client, world):
    case = draft(world)
    client.force_login(world.cso_coordinator)
    response = client.post(action_url(case, "submit"), {"version": case.version})
    assert response.status_code == 302
    assert response["Location"] == url("portal:request_detail", "en", reference=case.reference)


@pytest.mark.parametrize(("language", "message"), [("en", "This field is required."), ("ar", "هذا الحقل مطلوب.")])
def test_missing_fields_are_explained_in_the_users_language_and_change_nothing(client, world, language, message):
    # given
    case = walk(world, draft(world), "submitted")
    client.force_login(world.secretariat)
    # when: the secretariat declines without a reason
    response = client.post(action_url(case, "decline", language), {"article": "4"}, headers=HTMX)
    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    assert reload(case).state == "submitted"
    assert not AuditEvent.objects.filter(case_id=case.pk, action="decline").exists()


def test_decline_cites_an_article_and_is_audited(client, world):
    case = walk(world, draft(world), "submitted")
    client.force_login(world.secretariat)
    response = client.post(
        action_url(case, "decline"), {"reason": "Outside the charter's scope.", "article": "1"}, headers=HTMX
    )
    assert response.status_code == 200
    case = reload(case)
    assert (case.state, case.decline_article) == ("declined", "1")
    assert AuditEvent.objects.get(case_id=case.pk, action="decline").data["article"] == "1"


def test_a_charter_rule_refuses_with_its_reason_and_article(client, world):
    # given: a meeting that has not started yet cannot be recorded as held
    case = walk(world, draft(world), "meeting_scheduled")
    client.force_login(world.secretariat)
    # when
    response = client.post(
        action_url(case, "record_meeting"),
        {"attended_organizations": [world.cso.pk, world.ministry.pk], "version": case.version},
        headers=HTMX,
    )
    # then
    page = response.content.decode()
    assert response.status_code == 409
    assert "only once the meeting has started" in page
    assert "Charter article 8" in page and 'href="/charter/#article-8"' in page
    assert reload(case).state == "meeting_scheduled"


def test_someone_without_the_role_is_refused(client, world):
    case = walk(world, draft(world), "submitted")
    client.force_login(world.cso_coordinator)
    response = client.post(action_url(case, "accept"), {"version": case.version}, headers=HTMX)
    assert response.status_code == 403
    assert "Only the secretariat may do this." in response.content.decode()
    assert reload(case).state == "submitted"


def test_a_stale_page_cannot_overwrite_a_newer_change(client, world):
    # given: the page was loaded at version 0, then someone submitted
    case = draft(world)
    stale_version = case.version
    walk(world, case, "submitted")
    client.force_login(world.cso_coordinator)
    # when: the old page's form is sent
    response = client.post(action_url(case, "withdraw"), {"reason": "Changed plans", "version": stale_version})
    # then
    assert response.status_code == 409
    assert "Someone else changed this case" in response.content.decode()
    assert reload(case).state == "submitted"


def test_schedule_meeting_from_the_browser_form(client, world):
    # given
    case = walk(world, draft(world), "approved")
    start = business_day(timezone.localtime() + dt.timedelta(days=5))
    client.force_login(world.secretariat)
    # when: the date-time pickers send local times without a zone
    response = client.post(
        action_url(case, "schedule_meeting"),
        {
            "starts_at": start.strftime("%Y-%m-%dT10:00"),
            "ends_at": start.strftime("%Y-%m-%dT12:00"),
            "location": "Grand Serail, Beirut",
            "agenda": "Opening; diversion; recommendations",
            "version": case.version,
        },
        headers=HTMX,
    )
    # then: Beirut time, both parties' coordinators invited
    assert response.status_code == 200, response.content.decode()[:2000]
    meeting = reload(case).meetings.get()
    assert timezone.localtime(meeting.starts_at).hour == 10
    assert set(meeting.invitees.all()) == {world.cso_coordinator, world.ministry_coordinator}


def test_outcome_editor_groups_the_harvesting_fields_and_documents_the_outcome(client, world):
    case = walk(world, draft(world), "meeting_held")
    client.force_login(world.secretariat)
    form = client.get(action_url(case, "document_outcome"), headers=HTMX).content.decode()
    assert "Outcome harvesting" in form and 'name="what_changed"' in form and 'name="visibility"' in form
    response = client.post(
        action_url(case, "document_outcome"),
        {
            "minutes": "Minutes of the roundtable.",
            "summary": "Guidelines will be drafted.",
            "recommendations": "Draft guidelines\nTrain judges",
            "what_changed": "Commitment to draft guidelines.",
            "who_changed": "The ministry.",
            "significance": "First written commitment.",
            "contribution": "Evidence from case work.",
            "evidence": "Signed minutes.",
            "visibility": "public",
            "version": case.version,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    outcome = reload(case).outcome
    assert outcome.recommendations == ["Draft guidelines", "Train judges"]


def test_incomplete_harvesting_is_refused_with_the_outcome_article(client, world):
    case = walk(world, draft(world), "meeting_held")
    client.force_login(world.secretariat)
    response = client.post(
        action_url(case, "document_outcome"),
        {"minutes": "Minutes.", "summary": "Summary.", "visibility": "public", "version": case.version},
        headers=HTMX,
    )
    assert response.status_code == 409
    assert "Charter article 8" in response.content.decode()
    assert reload(case).state == "meeting_held"


def test_actions_the_platform_takes_itself_cannot_be_clicked(client, world):
    case = walk(world, draft(world), "in_committee")
    client.force_login(world.secretariat)
    assert client.get(action_url(case, "approve")).status_code == 404
    assert client.post(action_url(case, "approve")).status_code == 404
    assert client.get(action_url(case, "no_such_action")).status_code == 404
    assert reload(case).state == "in_committee"


def test_an_invisible_request_answers_404_even_to_a_valid_action(client, world):
    case = draft(world)
    client.force_login(world.secretariat)
    assert client.post(action_url(case, "submit")).status_code == 404
    assert reload(case).state == "draft"


def test_garbage_input_never_yields_a_500(client, world):
    case = walk(world, draft(world), "approved")
    client.force_login(world.secretariat)
    response = client.post(
        action_url(case, "schedule_meeting"),
        {"starts_at": "yesterday-ish", "ends_at": "\x00", "location": "x" * 5000, "agenda": "", "version": "v"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert reload(case).state == "approved"
