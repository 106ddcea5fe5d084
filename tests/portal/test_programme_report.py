"""The programme report for a period: page with charts, XLSX opened with openpyxl, PDF read with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from workflows.partnership import services

from .conftest import draft, url, walk

ARABIC_LETTERS = re.compile(r"[^\u0621-\u064a\s]")


def arabic_text(pdf: bytes) -> str:
    """The Arabic letters pypdf extracts, in order, without spaces: it yields control characters for
    some shaped glyphs (dropped here) and breaks words with spaces where glyphs join."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", ARABIC_LETTERS.sub("", text))


def fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def programme(db, world):
    """One CSO request in follow-up (public outcome, two recommendations, an action in progress), one
    ministry request submitted, one draft (never counted)."""
    followed = walk(world, draft(world, title="حماية الأحداث"), "follow_up")
    item = services.action_item_create(
        request=followed,
        actor=world.secretariat,
        description="Draft the guidelines",
        owner_organization=world.ministry.pk,
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    services.action_update_add(item=item, actor=world.secretariat, text="First draft circulated", status="in_progress")
    submitted = walk(world, draft(world, by="ministry", title="Disability law", format="workshop"), "submitted")
    draft(world, title="Still a draft")
    return followed, submitted


def _sheet(book, title):
    """The rows of the sheet named ``title`` (sheet names are cut at Excel's 31 characters)."""
    return [list(row) for row in book[title[:31]].iter_rows(values_only=True)]


def test_report_page_draws_every_section_with_units(db, world, programme, client):
    client.force_login(world.secretariat)
    page = client.get(url("portal:programme_report", "en"))
    assert page.status_code == 200
    html = page.content.decode()
    for title in (
        "Requests by theme",
        "Requests by the requester&#x27;s side",
        "Requests by ministry taking part",
        "Requests by format",
        "Outcomes by visibility",
        "Recommendations and follow-up",
        "Deadlines kept, by party",
        "Attendance by organization",
    ):
        assert title in html, title
    assert "<svg" in html and "2 requests</text>" in html  # both requests share the theme; the unit is on the bar
    assert "Requests in the report" in html


def test_xlsx_opens_with_one_sheet_per_section_and_numbers_as_numbers(db, world, programme, client):
    client.force_login(world.secretariat)
    response = client.get(url("portal:programme_xlsx", "en"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Report"
    assert "Requests by theme" in book.sheetnames and "Attendance by organization" in book.sheetnames
    report = _sheet(book, "Report")
    assert ["Requests in the report", 2] in [row[:2] for row in report]
    assert _sheet(book, "Requests by the requester's side")[:3] == [
        ["Side", "Requests"],
        ["Public sector", 1],
        ["Civil society", 1],
    ]
    assert book["Requests by format"]["A1"].font.bold
    formats = {row[0]: row[1] for row in _sheet(book, "Requests by format")[1:]}
    assert formats["Roundtable"] == 1 and formats["Workshop"] == 1 and formats["Consultation"] == 0
    assert isinstance(formats["Roundtable"], int)
    ministries = _sheet(book, "Requests by ministry taking part")
    assert ministries[1] == ["Ministry of Social Affairs", 2, 1, 1]
    outcomes = _sheet(book, "Outcomes by visibility")
    assert outcomes[1] == ["Public", 1, 1] and outcomes[2] == ["Restricted", 0, 0]
    measures = {row[0]: row[1] for row in _sheet(book, "Recommendations and follow-up")[1:] if row and row[0]}
    assert measures["Recommendations recorded"] == 2
    assert measures["Follow-up actions"] == 1 and measures["In progress"] == 1
    assert measures["Follow-up settled (%)"] == 0
    attendance = {row[0]: row[1:3] for row in _sheet(book, "Attendance by organization")[1:] if row and row[1]}
    assert attendance[world.cso.name] == [1, 0] and attendance[world.ministry.name] == [1, 0]
    sla = _sheet(book, "Deadlines kept, by party")
    assert sla[0][0] == "Party" and len(sla) > 1


def test_filters_narrow_the_period_theme_side_and_ministry(db, world, programme, client):
    client.force_login(world.auditor)

    def total(**params):
        response = client.get(url("portal:programme_xlsx", "en"), params)
        assert response.status_code == 200, response.content[:500]
        rows = _sheet(load_workbook(io.BytesIO(response.content)), "Report")
        return next(row[1] for row in rows if row[0] == "Requests in the report")

    today = timezone.localdate()
    assert total() == 2
    assert total(side="civil") == 1
    assert total(ministry=world.ministry.pk) == 2
    assert total(ministry=world.ministry.pk, side="public") == 1
    assert total(theme=world.theme.code) == 2
    assert total(date_from=str(today - dt.timedelta(days=10)), date_to=str(today - dt.timedelta(days=1))) == 0
    assert total(date_from=str(today), date_to=str(today)) == 2


def test_bad_filters_are_translated_form_errors(db, world, client):
    client.force_login(world.secretariat)
    today = timezone.localdate()
    page = client.get(url("portal:programme_report", "en"), {"date_from": str(today), "date_to": "2001-01-01"})
    assert page.status_code == 400
    assert "The end of the period must not be before its start." in page.content.decode()
    assert client.get(url("portal:programme_xlsx", "en"), {"date_from": "soon"}).status_code == 400
    assert client.get(url("portal:programme_pdf", "en"), {"side": "moon"}).status_code == 400
    arabic = client.get(url("portal:programme_report", "ar"), {"date_from": str(today), "date_to": "2001-01-01"})
    assert "يجب ألا تسبق نهاية الفترة بدايتها." in arabic.content.decode()


def test_who_may_read_the_report(db, world, programme, client):
    for user, allowed in (
        (world.secretariat, True),
        (world.auditor, True),
        (world.chair, True),
        (world.gov[0], False),
        (world.cso_coordinator, False),
    ):
        client.force_login(user)
        for route in ("portal:programme_report", "portal:programme_xlsx", "portal:programme_pdf"):
            assert client.get(url(route, "en")).status_code == (200 if allowed else 403), (user, route)
    client.logout()
    assert client.get(url("portal:programme_xlsx", "en")).status_code == 302


def test_pdf_renders_the_sections_in_english_and_in_arabic(db, world, programme, client):
    client.force_login(world.secretariat)
    english = client.get(url("portal:programme_pdf", "en"))
    assert english.status_code == 200 and english.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(english.content)).pages)
    assert "Programme report" in text and "Requests by theme" in text and "Ministry of Social Affairs" in text
    assert any("NotoNaskhArabic" in name for name in fonts(english.content))

    arabic = client.get(url("portal:programme_pdf", "ar"))
    assert arabic.status_code == 200
    assert len(PdfReader(io.BytesIO(arabic.content)).pages) >= 1
    assert any("NotoNaskhArabic" in name for name in fonts(arabic.content))
    letters = arabic_text(arabic.content)
    assert "تقريرالبرنامج" in letters  # the title, shaped and extracted back in logical order
    assert "الطلباتحسبالموضوع" in letters


def test_arabic_workbook_has_arabic_sheets_right_to_left(db, world, programme, client):
    client.force_login(world.secretariat)
    book = load_workbook(io.BytesIO(client.get(url("portal:programme_xlsx", "ar")).content))
    assert book.sheetnames[0] == "التقرير"
    assert "الطلبات حسب الموضوع" in book.sheetnames
    assert all(book[name].sheet_view.rightToLeft for name in book.sheetnames)
    assert book["الطلبات حسب الموضوع"]["A1"].value == "الموضوع"


def test_the_report_costs_the_same_queries_however_many_requests(db, world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.secretariat)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("portal:programme_xlsx", "en")).status_code == 200
        return len(queries)

    walk(world, draft(world, title="One"), "submitted")
    few = cost()
    for title in ("Two", "Three", "Four"):
        walk(world, draft(world, by="ministry", title=title), "meeting_held")
    assert cost() == few, few
