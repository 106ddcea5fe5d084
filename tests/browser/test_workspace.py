"""Issue 12's workspace items in a real browser, Arabic and English, desktop and a 390×844 phone:
the request page says what waits for a committee member (and shows it first on a phone), GOV.UK
form errors, the audit log in labels, notifications, and the small things. axe stays clean."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests.workflows.partnership.conftest import draft, walk
from workflows.partnership import services

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
RAW_CODES = re.compile(r"\b(confirm_minutes|outcome_documented|action_status_changed|restricted_read|in_committee)\b")


def _text(language: str, message: str) -> str:
    with translation.override(language):
        from django.utils.translation import gettext

        return gettext(message)


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_pending_vote_is_said_first_and_leads_to_the_vote_form(actors, world, language, viewport):
    # given: a request in committee; a member who has not voted
    case = walk(world, draft(world), "in_committee")
    member = actors(world.gov[0], language)
    member.page.set_viewport_size(viewport)
    page = member.open("portal:request_detail", reference=case.reference)
    # then: the notice is in the first screen, and the side panel does not say "nothing is waiting"
    notice = page.locator('[data-notice="vote"]')
    assert notice.is_visible()
    assert notice.bounding_box()["y"] < viewport["height"]
    panel = page.locator("section[aria-labelledby=actions-title]").inner_text()
    assert _text(language, "Nothing is waiting for you on this request.") not in panel
    # and: on a phone the "what you can do now" panel comes before the request's details
    actions_y = page.locator("#actions-title").bounding_box()["y"]
    committee_y = page.locator("#committee-title").bounding_box()["y"]
    if viewport is PHONE:
        assert actions_y < committee_y
        assert actions_y < viewport["height"]
    else:
        # beside the details, at the inline end: right in English, left in Arabic
        main_x = page.locator(".request-main").bounding_box()["x"]
        side_x = page.locator(".request-side").bounding_box()["x"]
        assert (side_x > main_x) if language == "en" else (side_x < main_x)
    # when: the member follows the notice
    notice.locator("a").click()
    page.wait_for_function("location.hash === '#vote-form'")
    assert page.locator("#vote-form").is_visible()
    screenshot(page, f"vote-pending-{'phone' if viewport is PHONE else 'desktop'}", language, full_page=False)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_recused_member_and_the_chair_on_a_tie_are_told_why(actors, world, language):
    case = walk(world, draft(world), "in_committee")
    recused = actors(world.conflicted, language)
    page = recused.open("portal:request_detail", reference=case.reference)
    assert page.locator('[data-notice="recused"]').is_visible()
    assert page.locator('[data-notice="vote"]').count() == 0
    assert serious_violations(page) == []
    # a tie: the chair is told what the casting vote is
    services.vote_cast(request=case, actor=world.gov[0], decision="approve")
    services.vote_cast(request=case, actor=world.gov[1], decision="approve")
    services.vote_cast(request=case, actor=world.cso_seats[1], decision="reject", reason="Out of scope.")
    services.vote_cast(request=case, actor=world.chair, decision="reject", reason="Not ready.")
    case.refresh_from_db()
    assert case.state == "in_committee"
    chair = actors(world.chair, language)
    chair.page.set_viewport_size(PHONE)
    page = chair.open("portal:request_detail", reference=case.reference)
    casting = page.locator('[data-notice="casting"]')
    assert casting.is_visible() and casting.bounding_box()["y"] < PHONE["height"]
    screenshot(page, "casting-vote-phone", language, full_page=False)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_refused_form_has_a_focused_error_summary_and_error_in_the_title(actors, world, language, viewport):
    # given: the secretariat declines a request without giving a reason
    case = walk(world, draft(world), "submitted")
    secretariat = actors(world.secretariat, language)
    secretariat.page.set_viewport_size(viewport)
    page = secretariat.open("portal:request_action", reference=case.reference, name="decline")
    submit = page.locator("#action-form-decline button[type=submit]")
    assert "btn-danger" in submit.get_attribute("class")
    # when
    submit.click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    # then: the summary has focus, names the problem, and the title says "Error:"
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert summary.inner_text().strip().startswith(_text(language, "There is a problem"))
    page.wait_for_function("(prefix) => document.title.startsWith(prefix)", arg=_text(language, "Error:"))
    # and: its link moves focus to the field
    summary.locator('a[href="#id_reason"]').click()
    assert page.evaluate("document.activeElement.id") == "id_reason"
    screenshot(page, f"form-error-{'phone' if viewport is PHONE else 'desktop'}", language, full_page=False)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_confirmation_says_what_happens_next(actors, world, language):
    case = draft(world)
    requester = actors(world.cso_coordinator, language)
    page = requester.open("portal:request_detail", reference=case.reference)
    page.locator('[data-action="submit"]').click()
    page.locator("#action-form-submit button[type=submit]").click()
    flash = page.locator("#request-body .alert-success")
    flash.wait_for()
    assert "Done" not in flash.inner_text()
    assert (
        _text(
            language,
            "Your request is submitted. The secretariat reviews it next; you will be notified of its decision.",
        )
        in flash.inner_text()
    )
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_audit_log_speaks_labels_and_names(actors, world, language, viewport):
    case = walk(world, draft(world), "follow_up")
    auditor = actors(world.auditor, language)
    auditor.page.set_viewport_size(viewport)
    page = auditor.page
    page.goto(auditor.site.url("portal:search", language) + f"?mode=history&q={case.reference}")
    text = page.locator("main").inner_text()
    assert RAW_CODES.findall(text) == []
    assert world.secretariat.get_full_name() in text
    assert ("←" in text and "→" not in text) if language == "ar" else ("→" in text and "←" not in text)
    screenshot(page, f"audit-log-{'phone' if viewport is PHONE else 'desktop'}", language)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
def test_notifications_page_and_open_marks_read(actors, world, language, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        case = walk(world, draft(world), "submitted")
    note = Notification.objects.filter(recipient=world.secretariat, unread=True).first()
    secretariat = actors(world.secretariat, language)
    page = secretariat.open("portal:notifications")
    item = page.locator(f"#notification-{note.pk}")
    with page.expect_navigation():
        item.locator("a").first.click()
    assert case.reference in page.url
    note.refresh_from_db()
    assert note.unread is False
    page = secretariat.open("portal:notifications")
    assert page.locator(f"#notification-{note.pk}.list-group-item-warning").count() == 0
    assert serious_violations(page) == []


def test_small_things(actors, world, settings, browser, site):
    from django.urls import clear_url_caches

    secretariat = actors(world.cso_coordinator, "en")
    page = secretariat.open("portal:request_create")
    # one current nav item, a local favicon, no duplicate id
    assert page.locator("[aria-current=page].nav-link").count() == 1
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(site.base + icon).status == 200
    duplicates = page.evaluate(
        "(() => { const seen = {}; const twice = [];"
        " document.querySelectorAll('[id]').forEach(e => { if (seen[e.id]) twice.push(e.id); seen[e.id] = 1; });"
        " return twice; })()"
    )
    assert duplicates == []
    # a 405 has a page
    answer = page.goto(site.url("portal:notifications_read_all", "en"))
    assert answer.status == 405 and page.locator("h1").is_visible()
    # an English browser lands on English where Arabic is the default
    settings.LANGUAGE_CODE = "ar"
    clear_url_caches()
    try:
        visitor = browser.new_context(locale="en-US", viewport=PHONE)
        visit = visitor.new_page()
        visit.goto(site.base + "/transparency/")
        assert visit.url.endswith("/en/transparency/")
        assert visit.locator("html").get_attribute("lang") == "en"
        arabic = browser.new_context(locale="ar-LB", viewport=PHONE)
        visit_ar = arabic.new_page()
        visit_ar.goto(site.base + "/transparency/")
        assert visit_ar.locator("html").get_attribute("lang") == "ar"
        visitor.close()
        arabic.close()
    finally:
        settings.LANGUAGE_CODE = "en"
        clear_url_caches()
