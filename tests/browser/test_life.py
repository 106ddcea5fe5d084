"""The whole life of a dialogue request, clicked through by the people who live it, in each language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from engine.audit import verify_all
from tests.factories import business_day
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import DialogueRequest, Meeting

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def label(state: str, language: str) -> str:
    with translation.override(language):
        return str(RequestFlow.state_labels[state])


def check_a11y(page, name: str, language: str) -> None:
    screenshot(page, name, language)
    assert serious_violations(page) == [], name


def run_action(page, name: str, fields: dict[str, str] | None = None, checks: list[str] | None = None) -> None:
    """Open an action from the request page, fill its form and send it (htmx, no page reload)."""
    page.click(f'#request-body a[data-action="{name}"]')
    form = page.locator(f"#action-form-{name} form")
    form.wait_for()
    for selector, value in (fields or {}).items():
        form.locator(selector).fill(value)
    for selector in checks or []:
        form.locator(selector).check()
    form.locator("button[type=submit]").click()


def expect_state(page, state: str, language: str) -> None:
    page.wait_for_selector(f"#request-state:text-is('{label(state, language)}')")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_whole_life_of_a_request(actors, world, language, site):
    w = world
    # --- the CSO coordinator signs in, opens a request with the guided form and submits it ---
    cso = actors(None, language)
    page = cso.open("portal:sign_in")
    page.fill("#id_username", "cso-coordinator")
    page.fill("#id_password", "pw-123456")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    check_a11y(page, "home-requester", language)
    page = cso.open("portal:request_create")
    page.fill("#id_title", "Alternatives to detention for minors")
    page.select_option("#id_theme", w.theme.code)
    page.fill("#id_summary", "A roundtable on diversion measures in the juvenile justice law.")
    page.fill("#id_policy_question", "How can diversion be applied before trial?")
    page.check(f"#counterpart-{w.ministry.pk}")
    page.check("input[name=format][value=roundtable]")
    check_a11y(page, "request-new", language)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    case = DialogueRequest.objects.get()
    # the draft saves itself as the coordinator types
    page.fill("#id_expected_participants", "25")
    # (a locator expectation: the Content-Security-Policy refuses wait_for_function's string evaluation)
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    check_a11y(page, "request-edit", language)
    assert DialogueRequest.objects.get(pk=case.pk).expected_participants == 25
    page = cso.open("portal:request_detail", reference=case.reference)
    run_action(page, "submit")
    expect_state(page, "submitted", language)
    check_a11y(page, "request-submitted", language)

    # --- the secretariat finds it in the triage queue and accepts it ---
    secretariat = actors(w.secretariat, language)
    page = secretariat.open("portal:home")
    assert case.reference in page.inner_text("main")
    check_a11y(page, "home-secretariat", language)
    page.click(f"text={case.reference}")
    run_action(page, "accept")
    expect_state(page, "in_committee", language)

    # --- the committee votes; the conflicted member cannot ---
    conflicted = actors(w.conflicted, language)
    page = conflicted.open("portal:request_detail", reference=case.reference)
    assert page.locator("input[name=decision]").count() == 0
    for member in (w.gov[0], w.cso_seats[1], w.gov[1]):
        voter = actors(member, language)
        page = voter.open("portal:home")
        if member == w.gov[0]:
            check_a11y(page, "home-committee", language)
        page.click(f"text={case.reference}")
        page.check("input[name=decision][value=approve]")
        if member == w.gov[0]:
            check_a11y(page, "request-vote", language)
        page.click("#request-body form[hx-post$='/vote/'] button[type=submit]")
        page.wait_for_selector("#request-body .alert-success")
    expect_state(page, "approved", language)

    # --- the secretariat schedules the meeting; the invitation downloads as .ics ---
    page = secretariat.open("portal:request_detail", reference=case.reference)
    start = business_day(timezone.localtime() + dt.timedelta(days=3))
    run_action(
        page,
        "schedule_meeting",
        {
            "input[name=starts_at]": start.strftime("%Y-%m-%dT10:00"),
            "input[name=ends_at]": start.strftime("%Y-%m-%dT12:00"),
            "input[name=location]": "Grand Serail, Beirut",
            "textarea[name=agenda]": "Opening; diversion measures; recommendations",
        },
    )
    expect_state(page, "meeting_scheduled", language)
    with page.expect_download() as download:
        page.click("a[href$='session.ics']")  # each session of the series has its own calendar file
    assert download.value.suggested_filename == f"{case.reference}-1.ics"

    # --- the day comes; the meeting is held and its outcome documented ---
    now = timezone.now()
    Meeting.objects.filter(request=case).update(
        starts_at=now - dt.timedelta(hours=2), ends_at=now - dt.timedelta(minutes=5)
    )
    page.reload()
    run_action(
        page,
        "record_meeting",
        checks=[
            f"input[name=attended_organizations][value='{w.cso.pk}']",
            f"input[name=attended_organizations][value='{w.ministry.pk}']",
        ],
    )
    expect_state(page, "meeting_held", language)
    page.click('#request-body a[data-action="document_outcome"]')
    page.locator("#action-form-document_outcome").wait_for()
    check_a11y(page, "outcome-editor", language)
    form = page.locator("#action-form-document_outcome form")
    for name, text in {
        "minutes": "The parties discussed diversion and agreed on two steps.",
        "summary": "Agreement to draft implementing guidelines for diversion.",
        "recommendations": "Draft implementing guidelines\nTrain juvenile judges",
        "what_changed": "The ministry committed to draft guidelines.",
        "who_changed": "Ministry of Social Affairs.",
        "significance": "First written commitment on diversion.",
        "contribution": "Evidence from CSO case work.",
        "evidence": "Signed minutes.",
    }.items():
        form.locator(f"textarea[name={name}]").fill(text)
    form.locator("input[name=visibility][value=public]").check()
    form.locator("button[type=submit]").click()
    expect_state(page, "outcome_documented", language)

    # --- both parties confirm the minutes: the outcome is published ---
    page = cso.open("portal:request_detail", reference=case.reference)
    run_action(page, "confirm_minutes")
    page.wait_for_selector("#request-body .alert-success")
    ministry = actors(w.ministry_coordinator, language)
    page = ministry.open("portal:request_detail", reference=case.reference)
    run_action(page, "confirm_minutes")
    page.wait_for_selector("#request-body .alert-success")
    assert DialogueRequest.objects.get(pk=case.pk).published

    # --- follow-up: the secretariat adds an action, the ministry completes it, the secretariat closes ---
    page = secretariat.open("portal:request_detail", reference=case.reference)
    run_action(page, "start_follow_up")
    expect_state(page, "follow_up", language)
    page.click("#follow-up-title ~ details summary")
    page.fill("textarea[name=description]", "Draft implementing guidelines")
    page.select_option("select[name=owner_organization]", str(w.ministry.pk))
    page.fill("input[name=due_date]", (timezone.localdate() + dt.timedelta(days=60)).isoformat())
    page.click("form[hx-post$='/follow-up/'] button[type=submit]")
    page.wait_for_selector("#request-body .card[id^=action-item-]")
    item_id = page.locator("#request-body .card[id^=action-item-]").first.get_attribute("id").split("-")[-1]
    page = ministry.open("portal:request_detail", reference=case.reference)
    page.click(f"#action-item-{item_id} details summary")
    page.fill(f"#id_item-{item_id}-text", "Guidelines adopted by ministerial decision.")
    page.select_option(f"#id_item-{item_id}-status", "done")
    check_a11y(page, "follow-up", language)
    page.click(f"#action-item-{item_id} button[type=submit]")
    page.wait_for_selector("#request-body .alert-success")
    page = secretariat.open("portal:request_detail", reference=case.reference)
    run_action(page, "close")
    expect_state(page, "closed", language)
    check_a11y(page, "request-closed", language)

    # --- the secretariat's dashboard and the public portal ---
    page = secretariat.open("portal:dashboard")
    check_a11y(page, "dashboard", language)
    visitor = actors(None, language)
    page = visitor.open("portal:transparency")
    assert case.reference in page.inner_text("main")
    check_a11y(page, "transparency", language)
    page.click(f"text={case.title}")
    assert "Train juvenile judges" in page.inner_text("main")
    check_a11y(page, "transparency-outcome", language)

    # the history behind all those clicks verifies
    report = verify_all()
    assert report.ok and report.cases_checked >= 1
