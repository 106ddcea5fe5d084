"""Issue 12's form items in a real browser, Arabic and English, desktop and a 390×844 phone: the
reschedule form opens with the session as it stands, dates typed day first are saved as that day,
a past due date is refused in the error summary, a weekend is warned of before saving. axe stays clean."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import formats, timezone, translation

from portal import dates
from tests.workflows.partnership.conftest import draft, walk
from workflows.partnership import services
from workflows.partnership.models import ActionItem, Meeting

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
LANGUAGES = pytest.mark.parametrize("language", ["ar", "en"])
# 3 April 2027 is a Saturday (4 March 2027, the month-first reading, is a Thursday)
APRIL_3 = dt.date(2027, 4, 3)


def _in(language: str, function, *args):
    with translation.override(language):
        return str(function(*args))


def _gettext(language: str, message: str) -> str:
    from django.utils.translation import gettext

    return _in(language, gettext, message)


@LANGUAGES
@VIEWPORTS
def test_reschedule_opens_with_the_current_session(actors, world, language, viewport):
    case = walk(world, draft(world), "meeting_scheduled")
    meeting = Meeting.objects.get(request=case)
    secretariat = actors(world.secretariat, language)
    secretariat.page.set_viewport_size(viewport)
    page = secretariat.open("portal:request_action", reference=case.reference, name="reschedule_meeting")
    start = timezone.localtime(meeting.starts_at)
    assert page.locator("input[name=starts_at]").input_value() == f"{start:%d/%m/%Y %H:%M}"
    assert page.locator("input[name=ends_at]").input_value() == f"{timezone.localtime(meeting.ends_at):%d/%m/%Y %H:%M}"
    assert page.locator("input[name=location]").input_value() == meeting.location
    assert page.locator("textarea[name=agenda]").input_value() == meeting.agenda
    assert page.locator("select[name=session]").input_value() == str(meeting.pk)
    # the date box reads left to right, with its pattern said under it
    assert page.locator("input[name=starts_at]").get_attribute("dir") == "ltr"
    assert "23/11/2026 14:30" in page.locator("#id_starts_at_help").inner_text()
    # a business day: no warning, and the override stays out of the way (the script hides it)
    assert page.locator("#id_starts_at_day").inner_text().strip() == ""
    assert page.locator("[data-override-fields]").is_hidden()
    screenshot(page, f"reschedule-{'phone' if viewport is PHONE else 'desktop'}", language, full_page=False)
    assert serious_violations(page) == []


@LANGUAGES
@VIEWPORTS
def test_a_saturday_typed_day_first_is_warned_of_then_saved_on_that_day(actors, world, language, viewport):
    case = walk(world, draft(world), "approved")
    secretariat = actors(world.secretariat, language)
    secretariat.page.set_viewport_size(viewport)
    page = secretariat.open("portal:request_action", reference=case.reference, name="schedule_meeting")
    assert page.locator("[data-override-fields]").is_hidden()
    # when: the person types 03/04/2027 (day first), as people in Lebanon do
    box = page.locator("input[name=starts_at]")
    box.click()
    box.press_sequentially("03/04/2027 10:00", delay=20)
    # then: before saving, the calendar says it is a Saturday (3 April, not 4 March) next to the field
    note = page.locator("#id_starts_at_day")
    expected = _in(language, dates.day_note, APRIL_3)
    note.locator("[data-non-business-day]").wait_for()
    assert note.inner_text().strip() == expected
    assert note.get_attribute("aria-live") == "polite"
    assert _in(language, formats.date_format, APRIL_3, "l j F Y") in expected
    # and the override fields appear
    override = page.locator("[data-override-fields]")
    override.wait_for(state="visible")
    screenshot(page, f"schedule-weekend-{'phone' if viewport is PHONE else 'desktop'}", language, full_page=False)
    assert serious_violations(page) == []
    # when: the rest is filled in and the override is given with its reason
    page.fill("input[name=ends_at]", "٠٣/٠٤/٢٠٢٧ ١٢:٠٠")  # Arabic-Indic digits are read too
    page.fill("input[name=location]", "Beirut")
    page.fill("textarea[name=agenda]", "Opening")
    override.locator("input[name=allow_non_business_day]").check()
    override.locator("input[name=override_reason]").fill("The ministers are only free that day.")
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.locator("#action-form-schedule_meeting button[type=submit]").click()
    # then: the session is on 3 April 2027 at 10:00, Beirut time
    meeting = Meeting.objects.get(request=case)
    assert timezone.localtime(meeting.starts_at).replace(tzinfo=None) == dt.datetime(2027, 4, 3, 10, 0)  # noqa: DTZ001
    assert timezone.localtime(meeting.ends_at).hour == 12


@LANGUAGES
def test_a_past_due_date_is_refused_in_the_error_summary_and_day_first_saves(actors, world, language):
    case = walk(world, draft(world), "outcome_documented")
    services.minutes_confirm(request=case, actor=world.cso_coordinator)
    services.minutes_confirm(request=case, actor=world.ministry_coordinator)
    services.request_follow_up_start(request=case, actor=world.secretariat)
    secretariat = actors(world.secretariat, language)
    secretariat.page.set_viewport_size(PHONE)
    page = secretariat.open("portal:request_detail", reference=case.reference)
    form = page.locator("form[action$='/follow-up/']")
    form.locator("xpath=..").locator("summary").click()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    form.locator("textarea[name=description]").fill("Draft the implementing decree")
    form.locator("select[name=owner_organization]").select_option(str(world.ministry.pk))
    form.locator("input[name=due_date]").fill(f"{yesterday:%d/%m/%Y}")
    with page.expect_response(lambda response: response.request.method == "POST"):
        form.locator("button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    expected = _gettext(language, "The due date %(date)s is in the past: choose today or a later day.")
    assert expected.split("%(date)s")[1].strip() in summary.inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-error-summary')")
    link = summary.locator("a[href='#action_item_due_date']")
    assert link.count() == 1
    link.click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'action_item_due_date'")
    assert not ActionItem.objects.filter(request=case).exists()
    screenshot(page, "due-date-past-phone", language, full_page=False)
    assert serious_violations(page) == []
    # when: 03/04/2027 is typed instead, the action is due on 3 April 2027
    page.locator("#action_item_due_date").fill("03/04/2027")
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.locator("form[action$='/follow-up/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert ActionItem.objects.get(request=case).due_date == APRIL_3
