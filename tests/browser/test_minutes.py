"""Issue 12, minutes confirmation, in a real browser (Arabic and English, desktop and a 390×844 phone):
a CSO coordinator reads the minutes where they confirm and requests a correction; the secretariat
revises; both parties confirm; "waiting for" names both, then one, then clears.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.workflows.partnership.conftest import draft, walk
from workflows.partnership.models import Outcome

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CORRECTION = "Paragraph 2: the ministry agreed to study a pilot, not to run one."
REVISED = "The parties discussed diversion measures. The ministry agreed to study a pilot."


def _text(language: str, message: str) -> str:
    with translation.override(language):
        from django.utils.translation import gettext

        return gettext(message)


def _waiting(page) -> list[str]:
    return [text.strip() for text in page.locator('[data-waiting="parties"] li').all_inner_texts()]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _fits(page, selector: str) -> bool:
    """Every element matching ``selector`` lies within the viewport's width (nothing to scroll sideways for)."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].every(el => {
            const box = el.getBoundingClientRect();
            return box.left >= -1 && box.right <= window.innerWidth + 1;
        })""",
        selector,
    )


def _open_from_notice(page, kind: str, form: str) -> None:
    notice = page.locator(f'[data-notice="{kind}"]')
    assert notice.is_visible()
    notice.locator("a").click()
    page.locator(f"#action-form-{form}").wait_for()


def _submit(page, form: str) -> None:
    page.locator(f"#action-form-{form} button[type=submit]").click()
    page.locator("#request-body .alert-success").wait_for()


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_party_reads_objects_the_secretariat_revises_and_both_confirm(actors, world, language, viewport):
    where = "phone" if viewport is PHONE else "desktop"
    world.cso.name_ar = "الجمعية اللبنانية لحقوق الأحداث"
    world.cso.save(update_fields=["name_ar"])
    world.ministry.name_ar = "وزارة الشؤون الاجتماعية"
    world.ministry.save(update_fields=["name_ar"])
    case = walk(world, draft(world), "outcome_documented")
    names = {org.pk: (org.name_ar if language == "ar" else org.name) for org in (world.cso, world.ministry)}
    minutes = Outcome.objects.get(request=case).minutes

    # given: the CSO coordinator on the request page; "waiting for" names both parties
    cso = actors(world.cso_coordinator, language)
    cso.page.set_viewport_size(viewport)
    page = cso.open("portal:request_detail", reference=case.reference)
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert _waiting(page) == [names[world.cso.pk], names[world.ministry.pk]]
    # the notice is in the first screen and leads to the minutes, shown where the party confirms
    assert page.locator('[data-notice="minutes"]').bounding_box()["y"] < viewport["height"]
    _open_from_notice(page, "minutes", "confirm_minutes")
    shown = page.locator("#action-form-confirm_minutes .minutes-text").first
    assert shown.is_visible() and minutes in shown.inner_text()
    assert _fits(page, "#action-panel, #action-panel *, #minutes-status, #minutes-status *")
    # nor the page: an English recommendation in an Arabic list keeps its number inside the page
    assert _no_sideways_scroll(page)
    screenshot(page, f"minutes-confirm-{where}", language, full_page=False)
    assert serious_violations(page) == []

    # when: instead of confirming, the coordinator requests a correction (first forgetting to say what)
    page.locator('#action-form-confirm_minutes [data-action="minutes_correction_requested"]').click()
    page.locator("#action-form-minutes_correction_requested").wait_for()
    assert minutes in page.locator("#action-form-minutes_correction_requested .minutes-text").first.inner_text()
    page.locator("#action-form-minutes_correction_requested button[type=submit]").click()
    page.locator("[data-error-summary]").wait_for()
    page.fill("#id_correction", CORRECTION)
    _submit(page, "minutes_correction_requested")
    flash = page.locator("#request-body .alert-success").inner_text()
    sent = (
        "Your correction request is sent to the secretariat. It revises the minutes or answers you; until then "
        "the confirmation period is paused."
    )
    assert _text(language, sent) in flash
    # then: the page says the minutes wait for the secretariat, and the confirmation is no longer offered
    assert page.locator('[data-waiting="secretariat"]').is_visible()
    assert page.locator('[data-notice="minutes"]').count() == 0

    # when: the secretariat, told at the top, revises the minutes next to the request
    secretariat = actors(world.secretariat, language)
    secretariat.page.set_viewport_size(viewport)
    spage = secretariat.open("portal:request_detail", reference=case.reference)
    _open_from_notice(spage, "minutes_correction", "minutes_revised")
    pending = spage.locator(".minutes-correction-pending")
    assert CORRECTION in pending.inner_text()
    # the pending correction is marked on the inline-start side (the right in Arabic)
    side = "borderRightWidth" if language == "ar" else "borderLeftWidth"
    assert pending.evaluate(f"el => getComputedStyle(el).{side}") == "3px"
    assert spage.locator("#id_minutes").input_value() == minutes
    assert _fits(spage, "#action-panel, #action-panel *")
    screenshot(spage, f"minutes-revise-{where}", language, full_page=False)
    assert serious_violations(spage) == []
    spage.fill("#id_minutes", REVISED)
    spage.fill("#id_note", "Paragraph 2, as the association proposed.")
    _submit(spage, "minutes_revised")

    # then: the CSO reads the revised minutes and confirms; "waiting for" names only the ministry
    page = cso.open("portal:request_detail", reference=case.reference)
    assert _waiting(page) == [names[world.cso.pk], names[world.ministry.pk]]
    _open_from_notice(page, "minutes", "confirm_minutes")
    assert REVISED in page.locator("#action-form-confirm_minutes .minutes-text").first.inner_text()
    assert page.locator('#action-form-confirm_minutes [data-minutes-revision="2"]').count() == 1
    _submit(page, "confirm_minutes")
    assert _waiting(page) == [names[world.ministry.pk]]

    # and: the ministry confirms; nothing is waited for any more
    ministry = actors(world.ministry_coordinator, language)
    ministry.page.set_viewport_size(viewport)
    mpage = ministry.open("portal:request_detail", reference=case.reference)
    assert _waiting(mpage) == [names[world.ministry.pk]]
    _open_from_notice(mpage, "minutes", "confirm_minutes")
    assert REVISED in mpage.locator("#action-form-confirm_minutes .minutes-text").first.inner_text()
    _submit(mpage, "confirm_minutes")
    assert mpage.locator("#minutes-status").count() == 0
    screenshot(mpage, f"minutes-confirmed-{where}", language, full_page=False)
    assert serious_violations(mpage) == []
