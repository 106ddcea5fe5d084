from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from engine.models import AccessLogEntry, AuditEvent
from tests.factories import UserFactory, member_organization
from workflows.partnership import services

from .conftest import draft, request_data, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def unaccepted_draft(world):
    """A draft by an organization that has not accepted the current charter."""
    organization, coordinator = member_organization(accept_charter=False, name="Youth Forum", cso=True)
    data = request_data(world, requesting_organization=organization.pk)
    return services.request_create(actor=coordinator, data=data), coordinator


def page_of(client, user, case, language="en", **extra):
    client.force_login(user)
    return client.get(url("portal:request_detail", language, reference=case.reference), **extra)


def test_requester_sees_the_draft_with_the_actions_they_may_take(client, world):
    # given
    case = draft(world)
    # when
    response = page_of(client, world.cso_coordinator, case)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert case.title in page and "Draft" in page
    assert 'data-action="submit"' in page and 'data-action="withdraw"' in page
    assert "Request created" in page  # the timeline, drawn from the audit trail


def test_a_charter_rule_disables_submit_and_says_why_with_its_article(client, world):
    # given: an organization that has not accepted the current charter
    case, coordinator = unaccepted_draft(world)
    # when
    page = page_of(client, coordinator, case).content.decode()
    # then: submit is shown disabled, with the reason and the article it enforces
    assert 'class="mb-3 blocked-action" data-action="submit"' in page
    assert "has not accepted the current version of the Partnership Charter" in page
    assert "Charter article 6" in page


def test_the_reason_reads_in_arabic_for_arabic_readers(client, world):
    case, coordinator = unaccepted_draft(world)
    page = page_of(client, coordinator, case, "ar").content.decode()
    assert 'lang="ar" dir="rtl"' in page
    assert "المادة 6 من الميثاق" in page


def test_strangers_and_counterparts_before_acceptance_cannot_see_a_request(client, world):
    case = draft(world)
    assert page_of(client, UserFactory(), case).status_code == 404
    assert page_of(client, world.ministry_coordinator, case).status_code == 404
    assert page_of(client, world.secretariat, case).status_code == 404  # a draft stays with its author


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    case = draft(world)
    response = client.get(url("portal:request_detail", "en", reference=case.reference))
    assert response.status_code == 302 and url("portal:sign_in", "en") in response["Location"]


def test_secretariat_sees_whose_turn_it_is_and_the_deadline(client, world):
    case = walk(world, draft(world), "submitted")
    page = page_of(client, world.secretariat, case).content.decode()
    assert 'data-action="accept"' in page and 'data-action="decline"' in page
    assert "Deadlines" in page and "On track" in page


def test_parties_see_the_decision_but_not_who_voted_what(client, world):
    # given: an approved request
    case = walk(world, draft(world), "approved")
    # when
    requester_page = page_of(client, world.cso_coordinator, case).content.decode()
    auditor_page = page_of(client, world.auditor, case).content.decode()
    # then
    member = world.gov[0].get_full_name()
    assert "Approved" in requester_page and member not in requester_page
    assert "A committee member" in requester_page
    assert member in auditor_page


def test_htmx_asks_for_the_body_only(client, world):
    case = draft(world)
    response = page_of(client, world.cso_coordinator, case, headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    # (a top-level <title> first: htmx takes it for the document's title, e.g. "Error: ..." after a refusal)
    body = re.sub(r"^\s*<title>[^<]*</title>\s*", "", page)
    assert body.startswith('<div id="request-body">') and "<html" not in page


def test_meeting_invitation_downloads_as_icalendar(client, world):
    case = walk(world, draft(world), "meeting_scheduled")
    client.force_login(world.ministry_coordinator)
    response = client.get(url("portal:request_meeting_ics", "en", reference=case.reference))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content


def test_no_meeting_no_calendar_file(client, world):
    case = draft(world)
    client.force_login(world.cso_coordinator)
    assert client.get(url("portal:request_meeting_ics", "en", reference=case.reference)).status_code == 404


def test_a_party_adds_a_document_and_it_is_audited(client, world, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    case = draft(world)
    client.force_login(world.cso_coordinator)
    upload = SimpleUploadedFile("concept-note.txt", b"Concept note: diversion measures.", content_type="text/plain")
    # when
    response = client.post(
        url("portal:request_attachment_upload", "en", reference=case.reference),
        {"file": upload, "description": "Concept note"},
        headers=HTMX,
    )
    # then
    assert response.status_code == 200
    assert "concept-note.txt" in response.content.decode()
    event = AuditEvent.objects.filter(case_id=case.pk, action="document_added").get()
    assert event.actor == world.cso_coordinator and event.ip_address == "127.0.0.1"
    attachment = case.attachments.get()
    download = client.get(url("portal:request_attachment", "en", reference=case.reference, pk=attachment.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"Concept note")


def test_a_document_of_the_wrong_kind_is_refused_with_a_reason(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = draft(world)
    client.force_login(world.cso_coordinator)
    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = client.post(url("portal:request_attachment_upload", "en", reference=case.reference), {"file": upload})
    assert response.status_code == 400
    assert not case.attachments.exists()
    assert not AuditEvent.objects.filter(case_id=case.pk, action="document_added").exists()


def test_outsiders_cannot_add_documents(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = walk(world, draft(world), "in_committee")
    client.force_login(world.gov[0])
    upload = SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")
    response = client.post(url("portal:request_attachment_upload", "en", reference=case.reference), {"file": upload})
    assert response.status_code == 403
    assert not case.attachments.exists()


def test_a_restricted_outcome_opens_on_request_and_the_read_is_audited(client, world):
    from tests.workflows.partnership.conftest import outcome_data

    # given: a restricted outcome
    case = walk(world, draft(world), "meeting_held")
    services.outcome_document(
        request=case,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason="Minors named."),
    )
    client.force_login(world.auditor)
    # when: the auditor opens the request page
    page = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    # then: the outcome is not shown until asked for, and nothing is recorded yet
    assert "Show the restricted outcome" in page and "Agreement to draft implementing guidelines" not in page
    assert not AccessLogEntry.objects.filter(case_id=case.pk).exists()
    # when: they ask for it
    response = client.get(url("portal:request_outcome", "en", reference=case.reference), headers=HTMX)
    # then
    assert response.status_code == 200
    assert "Agreement to draft implementing guidelines" in response.content.decode()
    entry = AccessLogEntry.objects.get(case_id=case.pk)
    assert (entry.actor, entry.what) == (world.auditor, "outcome")
    assert not AuditEvent.objects.filter(case_id=case.pk, action="restricted_read").exists()


def test_a_public_outcome_shows_with_the_page_without_a_read_record(client, world):
    case = walk(world, draft(world), "outcome_documented")
    page = page_of(client, world.ministry_coordinator, case).content.decode()
    assert "Agreement to draft implementing guidelines" in page
    assert not AccessLogEntry.objects.filter(case_id=case.pk).exists()
