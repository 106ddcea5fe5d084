"""Item 6: bidi controls are stripped from single-line fields at input, and user text is isolated where shown."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from engine.text import BIDI_CONTROLS, SingleLineField
from notify.rendering import render
from tests.workflows.partnership.conftest import draft, meeting_data, request_data, walk
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest

pytestmark = pytest.mark.django_db

RLO = "\u202e"
TRICK = f"Minutes{RLO}xcod.exe"


@pytest.mark.parametrize("control", list(BIDI_CONTROLS), ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS])
def test_the_shared_field_strips_every_bidi_control(control):
    assert SingleLineField().clean(f"Juvenile{control} justice\nreform") == "Juvenile justice reform"


def test_a_title_from_the_api_is_stored_without_controls(client_for, partnership_world):
    client = client_for(partnership_world.cso_coordinator)
    data = request_data(partnership_world, title=TRICK)
    response = client.post("/api/v1/requests/", data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Minutesxcod.exe"
    reference = response.json()["reference"]
    edited = client.patch(f"/api/v1/requests/{reference}/", {"title": f"\u2067Diversion\u2069 {RLO}"}, format="json")
    assert edited.status_code == 200, edited.content
    assert DialogueRequest.objects.get(reference=reference).title == "Diversion"


def test_a_title_of_controls_only_is_refused(client_for, partnership_world):
    client = client_for(partnership_world.cso_coordinator)
    response = client.post(
        "/api/v1/requests/", request_data(partnership_world, title=f"{RLO}\u200f\u061c"), format="json"
    )
    assert response.status_code == 400
    assert "title" in response.json()["errors"]


def test_a_meeting_location_is_stored_without_controls(partnership_world):
    world = partnership_world
    case = walk(world, draft(world), "approved")
    services.meeting_schedule(
        request=case, actor=world.secretariat, data=meeting_data(location=f"Grand Serail{RLO} Beirut")
    )
    assert case.meetings.get().location == "Grand Serail Beirut"


def test_a_document_description_from_the_portal_is_stored_without_controls(
    client, partnership_world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = draft(partnership_world)
    client.force_login(partnership_world.cso_coordinator)
    with translation.override("en"):
        url = reverse("portal:request_attachment_upload", kwargs={"reference": case.reference})
    upload = SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")
    response = client.post(url, {"file": upload, "description": f"note{RLO}fdp"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert case.attachments.get().description == "notefdp"


@pytest.fixture
def legacy(partnership_world):
    """A request whose title got its override before the input was cleaned (written behind the forms)."""
    case = walk(partnership_world, draft(partnership_world), "meeting_scheduled")
    DialogueRequest.objects.filter(pk=case.pk).update(title=TRICK)
    case.refresh_from_db()
    return case


def test_the_calendar_summary_isolates_the_title(legacy):
    ics = services.meeting_ics(legacy.meetings.get()).decode()
    summary = next(line for line in ics.splitlines() if line.startswith("SUMMARY"))
    assert RLO not in summary
    assert "\u2068Minutesxcod.exe\u2069" in summary


def test_notifications_isolate_the_title(legacy):
    rendered = render(
        kind="submit",
        payload={"title": legacy.title, "actor_name": "Amal"},
        case_type=legacy.case_type(),
        reference=legacy.reference,
        language="en",
    )
    assert RLO not in rendered.subject + rendered.body
    assert "\u2068Minutesxcod.exe\u2069" in rendered.body


def test_pages_isolate_the_title_and_keep_controls_out_of_the_page_title(client, partnership_world, legacy):
    client.force_login(partnership_world.secretariat)
    with translation.override("en"):
        url = reverse("portal:request_detail", kwargs={"reference": legacy.reference})
        listing = reverse("portal:search")
    page = client.get(url).content.decode()
    head = page.split("</title>")[0]
    assert RLO not in head
    assert f'dir="auto">{TRICK}</h1>' in page
    rows = client.get(listing).content.decode()
    assert f'<bdi dir="auto">{TRICK}</bdi>' in rows
