"""The remaining main pages in both languages: a disabled action explains itself; no serious a11y finding."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.factories import member_organization
from tests.workflows.partnership.conftest import draft, request_data, walk
from workflows.partnership import services

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_disabled_action_shows_its_reason_and_article(actors, world, language):
    # given: a CSO that has not accepted the current charter drafts a request
    organization, coordinator = member_organization(accept_charter=False, name="Youth Forum", cso=True)
    case = services.request_create(actor=coordinator, data=request_data(world, requesting_organization=organization.pk))
    # when its coordinator opens the request
    actor = actors(coordinator, language)
    page = actor.open("portal:request_detail", reference=case.reference)
    # then: Submit is disabled and says why, citing the charter article, in the reader's language
    blocked = page.locator('.blocked-action[data-action="submit"]')
    assert blocked.locator("button").is_disabled()
    text = blocked.inner_text()
    with translation.override(language):
        from django.utils.translation import gettext

        assert gettext("Charter article %(number)s") % {"number": "6"} in text
    assert ("الميثاق" in text) if language == "ar" else ("has not accepted the current version" in text)
    screenshot(page, "request-disabled-action", language)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["ar", "en"])
def test_oversight_and_personal_pages_pass_axe(actors, world, language, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        walk(world, draft(world), "in_committee")
        walk(world, draft(world, by="ministry", title="Inclusive education"), "submitted")
    auditor = actors(world.auditor, language)
    for route, query, name in (
        ("portal:home", "", "home-auditor"),
        ("portal:search", "", "search"),
        ("portal:search", "?mode=history", "audit-history"),
    ):
        page = auditor.page
        page.goto(auditor.site.url(route, language) + query)
        screenshot(page, name, language)
        assert serious_violations(page) == [], name
    secretariat = actors(world.secretariat, language)
    for route, name in (
        ("portal:notifications", "notifications"),
        ("portal:preferences", "preferences"),
        ("portal:follow_up", "follow-up-tracker"),
    ):
        page = secretariat.open(route)
        screenshot(page, name, language)
        assert serious_violations(page) == [], name
    # the bell counts what is unread
    page = secretariat.open("portal:home")
    page.wait_for_selector("#notification-bell .badge")
