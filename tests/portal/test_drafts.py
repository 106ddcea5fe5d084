from __future__ import annotations

import pytest

from engine.models import AuditEvent
from workflows.partnership.models import DialogueRequest

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def form_data(world, **overrides):
    data = {
        "requesting_organization": world.cso.pk,
        "title": "Volunteering law reform",
        "summary": "A dialogue on the draft volunteering law.",
        "policy_question": "How should volunteers be insured?",
        "theme": world.theme.code,
        "format": "policy_dialogue",
        "counterpart_organizations": [world.ministry.pk],
        "period_start": "2027-02-01",
        "period_end": "2027-02-28",
        "expected_participants": "30",
        "language": "ar",
    }
    data.update(overrides)
    return data


def test_the_guided_form_offers_the_other_side_first(client, world):
    client.force_login(world.cso_coordinator)
    page = client.get(url("portal:request_create", "en")).content.decode()
    assert page.index("Public sector") < page.index("Civil society")
    assert f'value="{world.ministry.pk}"' in page
    # the requester's own organization is not offered as its own counterpart
    assert f'id="counterpart-{world.cso.pk}"' not in page


def test_a_coordinator_creates_a_draft_and_continues_editing_it(client, world):
    # given
    client.force_login(world.cso_coordinator)
    # when
    response = client.post(url("portal:request_create", "en"), form_data(world))
    # then
    case = DialogueRequest.objects.get(title="Volunteering law reform")
    assert response.status_code == 302
    assert response["Location"] == url("portal:request_edit", "en", reference=case.reference)
    assert case.state == "draft" and list(case.counterpart_organizations.all()) == [world.ministry]
    assert AuditEvent.objects.get(case_id=case.pk, seq=1).action == "create"


def test_the_guided_form_explains_what_is_missing_in_arabic(client, world):
    client.force_login(world.cso_coordinator)
    response = client.post(url("portal:request_create", "ar"), form_data(world, title="", counterpart_organizations=[]))
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("هذا الحقل مطلوب.") >= 2
    assert not DialogueRequest.objects.exists()


def test_people_who_coordinate_no_organization_cannot_open_a_request(client, world):
    client.force_login(world.secretariat)
    assert client.get(url("portal:request_create", "en")).status_code == 403
    assert client.post(url("portal:request_create", "en"), form_data(world)).status_code == 403


def test_autosave_records_each_change_in_the_audit_trail(client, world):
    # given
    case = draft(world)
    client.force_login(world.cso_coordinator)
    data = form_data(world, title="Alternatives to detention for minors, revised")
    # when: htmx sends the form as the user types
    response = client.post(url("portal:request_autosave", "en", reference=case.reference), data, headers=HTMX)
    # then
    assert response.status_code == 200
    assert "Saved at" in response.content.decode()
    assert 'id="submit-readiness" hx-swap-oob="true"' in response.content.decode()
    case.refresh_from_db()
    assert case.title.endswith("revised")
    update = AuditEvent.objects.get(case_id=case.pk, action="update")
    assert update.data["changes"]["title"][1].endswith("revised")


def test_autosave_reports_what_cannot_be_saved_and_keeps_the_draft(client, world):
    case = draft(world)
    client.force_login(world.cso_coordinator)
    data = form_data(world, period_start="2027-03-01", period_end="2027-01-01")
    response = client.post(url("portal:request_autosave", "en", reference=case.reference), data, headers=HTMX)
    assert response.status_code == 400
    assert "Not saved yet" in response.content.decode()
    case.refresh_from_db()
    assert case.title == "Alternatives to detention for minors"
    assert not AuditEvent.objects.filter(case_id=case.pk, action="update").exists()


def test_the_edit_page_saves_without_javascript(client, world):
    case = draft(world)
    client.force_login(world.cso_coordinator)
    page = client.get(url("portal:request_edit", "en", reference=case.reference)).content.decode()
    assert "Your changes are saved as you type." in page and "Everything the charter asks for is there." in page
    response = client.post(
        url("portal:request_edit", "en", reference=case.reference), form_data(world, title="New title")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "New title"


def test_only_the_requester_edits_and_only_while_draft(client, world):
    case = draft(world)
    client.force_login(world.ministry_coordinator)
    assert client.get(url("portal:request_edit", "en", reference=case.reference)).status_code == 404
    walk(world, case, "submitted")
    client.force_login(world.cso_coordinator)
    assert client.get(url("portal:request_edit", "en", reference=case.reference)).status_code == 403
    response = client.post(url("portal:request_autosave", "en", reference=case.reference), form_data(world))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.title == "Alternatives to detention for minors"


def test_documents_are_added_from_the_draft_and_the_form_comes_back(client, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    case = draft(world)
    client.force_login(world.cso_coordinator)
    edit = url("portal:request_edit", "en", reference=case.reference)
    upload = SimpleUploadedFile("agenda.txt", b"Agenda proposal", content_type="text/plain")
    response = client.post(
        url("portal:request_attachment_upload", "en", reference=case.reference), {"file": upload, "next": edit}
    )
    assert response.status_code == 302 and response["Location"] == edit
    assert "agenda.txt" in client.get(edit).content.decode()
    # a bad file comes back to the draft with the reason, and an off-site "next" is ignored
    bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(
        url("portal:request_attachment_upload", "en", reference=case.reference),
        {"file": bad, "next": "https://evil.example/"},
    )
    assert response.status_code == 400
    assert case.attachments.count() == 1
