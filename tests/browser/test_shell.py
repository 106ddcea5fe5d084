from __future__ import annotations

import pytest

from .conftest import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_public_pages_mirror_and_pass_axe(page, site, language):
    # when: a visitor opens the landing page and the transparency portal
    for name in ("portal:home", "portal:sign_in", "portal:transparency"):
        page.goto(site.url(name, language))
        # then: the document is in the right language and direction, with no serious a11y finding
        assert page.get_attribute("html", "lang") == language
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
        assert serious_violations(page) == []
    screenshot(page, "transparency", language)


def test_keyboard_user_switches_language_and_signs_in(page, site, make_user):
    # given
    make_user("coordinator")
    page.goto(site.url("portal:home", "ar"))
    # when: the skip link is the first thing the keyboard reaches
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.goto(site.url("portal:sign_in", "ar"))
    # and the visitor switches to English, then signs in
    with page.expect_navigation():
        page.click("button[name=language][value=en]")
    assert page.get_attribute("html", "lang") == "en"
    sign_in(page, site, "coordinator", "pw-123456", "en")
    # then
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("text=Sign out").count() == 1
