"""The secretariat's queue in a real browser, Arabic and English, desktop and a 390×844 phone:
assign to me from a row, bulk assignment with per-row results, a saved filter reopened, and the
breached request first with its overdue text whole on a phone. axe stays at 0 serious/critical."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from engine.models import SlaClock
from tests.workflows.partnership.conftest import draft, walk
from workflows.partnership.models import DialogueRequest

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _text(language: str, message: str) -> str:
    with translation.override(language):
        from django.utils.translation import gettext

        return gettext(message)


def submitted(world, title):
    return walk(world, draft(world, title=title), "submitted")


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_assign_to_me_from_the_queue(actors, world, language, viewport):
    # given: a submitted request nobody handles
    case = submitted(world, "Juvenile courts")
    officer = actors(world.secretariat, language)
    officer.page.set_viewport_size(viewport)
    page = officer.open("portal:search")
    row = page.locator(f'tr[data-reference="{case.reference}"]')
    assert row.locator(".queue-assign-me").is_visible()
    # when: the officer presses the row's "assign to me"
    with page.expect_navigation():
        row.locator(".queue-assign-me").click()
    # then: the page says it was done, the row names the officer, the request is theirs
    assert page.locator('.queue-results [data-result="done"]').is_visible()
    assert DialogueRequest.objects.get(pk=case.pk).assignee_id == world.secretariat.pk
    assert page.locator(f'tr[data-reference="{case.reference}"] .queue-assign-me').count() == 0
    screenshot(page, f"queue-assigned-{'phone' if viewport is PHONE else 'desktop'}", language, full_page=False)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
def test_bulk_assign_with_a_row_refused(actors, world, language):
    # given: two requests, one of them the lead's already
    free, taken = submitted(world, "Free one"), submitted(world, "Taken one")
    from workflows.partnership import services

    services.request_assign(request=taken, actor=world.secretariat, assignee=world.secretariat_lead)
    officer = actors(world.secretariat, language)
    page = officer.open("portal:search")
    # when: every row is selected and given to the lead
    page.locator("#queue-select-all").check()
    assert page.locator(f'input[name=refs][value="{free.reference}"]').is_checked()
    page.select_option("#bulk-officer", str(world.secretariat_lead.pk))
    with page.expect_navigation():
        page.locator("button[name=to][value=officer]").click()
    # then: one done, one refused with the reason in the page's language
    results = page.locator(".queue-results")
    assert results.locator('[data-result="done"]').count() == 1
    refused = results.locator('[data-result="refused"]')
    assert refused.count() == 1
    with translation.override(language):
        from django.utils.translation import gettext

        assert gettext("This request is already assigned to this officer.") in refused.inner_text()
    assert DialogueRequest.objects.get(pk=free.pk).assignee_id == world.secretariat_lead.pk
    screenshot(page, "queue-bulk", language, full_page=False)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
def test_save_and_reopen_a_filter(actors, world, language):
    submitted(world, "Filtered")
    officer = actors(world.secretariat, language)
    page = officer.page
    page.goto(officer.site.url("portal:search", language) + "?state=submitted&sort=reference")
    # when: the current filters are saved under a name
    page.locator("#saved-filters > summary").click()
    page.fill("#saved-filter-name", "طلبات مقدَّمة" if language == "ar" else "Submitted ones")
    with page.expect_navigation():
        page.locator("#saved-filters form button[type=submit]").last.click()
    # then: from the plain queue, the menu reopens them
    officer.open("portal:search")
    page.locator("#saved-filters > summary").click()
    link = page.get_by_role("link", name="طلبات مقدَّمة" if language == "ar" else "Submitted ones")
    assert link.is_visible()
    assert serious_violations(page) == []
    with page.expect_navigation():
        link.click()
    assert "state=submitted" in page.url and "sort=reference" in page.url
    assert page.locator("#search-state").input_value() == "submitted"
    assert page.locator("#search-sort").input_value() == "reference"


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_breached_request_comes_first_and_its_overdue_text_fits_a_phone(actors, world, language):
    # given: an older request breached for days, a newer one on time
    late = submitted(world, "Late one")
    submitted(world, "Calm one")
    now = timezone.now()
    SlaClock.objects.filter(case_id=late.pk, state="submitted").update(
        due_at=now - dt.timedelta(days=9), status="breached", breached_at=now - dt.timedelta(days=9)
    )
    officer = actors(world.secretariat, language)
    officer.page.set_viewport_size(PHONE)
    page = officer.open("portal:search")
    # then: it is the first row, and its time left (overdue) and deadline are whole on the screen
    first = page.locator("tr.queue-row").first
    assert first.get_attribute("data-reference") == late.reference
    overdue = first.locator(".time-left-overdue")
    assert overdue.is_visible()
    assert _text(language, "Due today") not in overdue.inner_text()
    for part in (overdue, first.locator("time")):
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "queue-phone-breached", language, full_page=False)
    assert serious_violations(page) == []
