"""The public dialogue report of a request: HTML page and PDF, only for published public outcomes."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from pypdf import PdfReader

from workflows.partnership import services

from .conftest import draft, outcome_data, url, walk
from .test_programme_report import arabic_text, fonts


def _published(world, **outcome):
    request = walk(world, draft(world, title="Diversion for minors"), "meeting_held")
    services.outcome_document(request=request, actor=world.secretariat, data=outcome_data(**outcome))
    walk(world, request, "follow_up")
    item = services.action_item_create(
        request=request,
        actor=world.secretariat,
        description="Draft the guidelines",
        owner_organization=world.ministry.pk,
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    services.action_update_add(item=item, actor=world.secretariat, text="First draft circulated", status="in_progress")
    request.refresh_from_db()
    return request


def _text(pdf: bytes) -> str:
    """The text pypdf extracts, whitespace collapsed (table cells wrap their lines)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_page_shows_meetings_outcome_recommendations_and_progress(db, world, client):
    request = _published(world)
    page = client.get(url("portal:dialogue_report", "en", reference=request.reference))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "Diversion for minors",
        "Meetings",
        world.ministry.name,
        "Agreement to draft implementing guidelines for diversion.",
        "Train juvenile judges",
        "First draft circulated",
        "0 of 1 follow-up actions settled (0%).",
    ):
        assert text in html, text
    # no location, invitees or minutes on the public report
    assert "Office of the Minister" not in html and "The parties discussed" not in html
    detail = client.get(url("portal:transparency_detail", "en", reference=request.reference)).content.decode()
    assert url("portal:dialogue_report", "en", reference=request.reference) in detail


def test_the_pdf_in_english_and_in_arabic(db, world, client):
    request = _published(world)
    english = client.get(url("portal:dialogue_report_pdf", "en", reference=request.reference), {"lang": "en"})
    assert english.status_code == 200 and english["Content-Type"] == "application/pdf"
    assert f"dialogue-report-{request.reference}-en.pdf" in english["Content-Disposition"]
    text = _text(english.content)
    for expected in (request.reference, "Train juvenile judges", "First draft circulated", "Follow-up"):
        assert expected in text, expected
    arabic = client.get(url("portal:dialogue_report_pdf", "en", reference=request.reference), {"lang": "ar"})
    assert arabic.status_code == 200
    assert any("NotoNaskhArabic" in name for name in fonts(arabic.content))
    letters = arabic_text(arabic.content)
    assert "تقريرالحوار" in letters and "الموضوعقضاءالأحداث" in letters  # title; "Theme: Juvenile justice"
    assert "Train juvenile judges" in _text(arabic.content)  # the record's own words, as written
    assert (
        client.get(url("portal:dialogue_report_pdf", "en", reference=request.reference), {"lang": "fr"}).status_code
        == 400
    )


def test_restricted_and_unpublished_outcomes_have_no_public_report(db, world, client):
    restricted = _published(world, visibility="restricted", restriction_reason="Names of minors.")
    unpublished = walk(world, draft(world, title="Not yet"), "outcome_documented")  # minutes not confirmed
    for request in (restricted, unpublished):
        for route in ("portal:dialogue_report", "portal:dialogue_report_pdf"):
            assert client.get(url(route, "en", reference=request.reference)).status_code == 404, (request, route)
    # not even for the secretariat: the public report is the public variant only
    client.force_login(world.secretariat)
    assert client.get(url("portal:dialogue_report", "en", reference=restricted.reference)).status_code == 404
    assert client.get(url("portal:dialogue_report", "en", reference="DR-1999-9999")).status_code == 404


def test_the_parties_variant_shows_a_restricted_outcome_marked_and_audits_the_reading(db, world, client):
    from engine.models import AccessLogEntry

    restricted = _published(world, visibility="restricted", restriction_reason="Names of minors.")
    # restricted reads go to the access log (its own chain), never to the case's
    reads = AccessLogEntry.objects.filter(case_reference=restricted.reference)
    before = reads.count()
    client.force_login(world.ministry_coordinator)  # a party to the request
    page = client.get(url("portal:request_report", "en", reference=restricted.reference))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Restricted: not for publication. Reason: Names of minors." in html
    assert "Agreement to draft implementing guidelines for diversion." in html
    assert reads.count() == before + 1
    pdf = client.get(url("portal:request_report_pdf", "en", reference=restricted.reference), {"lang": "en"})
    assert "Names of minors." in _text(pdf.content)
    assert reads.count() == before + 2
    # someone who does not see the request gets nothing, not even that it exists
    client.force_login(world.other_cso_coordinator)
    for route in ("portal:request_report", "portal:request_report_pdf"):
        assert client.get(url(route, "en", reference=restricted.reference)).status_code == 404
    assert reads.count() == before + 2
    client.logout()
    assert client.get(url("portal:request_report", "en", reference=restricted.reference)).status_code == 302


def test_the_parties_variant_before_any_outcome(db, world, client):
    request = walk(world, draft(world, title="Early one"), "submitted")
    client.force_login(world.cso_coordinator)
    page = client.get(url("portal:request_report", "en", reference=request.reference))
    assert page.status_code == 200 and "No outcome yet." in page.content.decode()
    arabic = client.get(url("portal:request_report", "ar", reference=request.reference)).content.decode()
    assert "لا توجد نتيجة بعد." in arabic
    detail = client.get(url("portal:request_detail", "en", reference=request.reference)).content.decode()
    assert url("portal:request_report", "en", reference=request.reference) in detail


def test_the_transparency_portal_search_folds_arabic_spellings(db, world, client):
    request = _published(world, summary="اتفاق على حماية الأحداث في مرحلة ما قبل المحاكمة")
    for spelling in ("الأحداث", "الاحداث", "المحاكمه"):
        page = client.get(url("portal:transparency", "en"), {"q": spelling}).content.decode()
        assert request.reference in page, spelling
    assert request.reference not in client.get(url("portal:transparency", "en"), {"q": "الزراعة"}).content.decode()
