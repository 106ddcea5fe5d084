"""Issue 12's dashboard in a real browser, Arabic and English, desktop and a 390×844 phone: filter by
theme, follow a figure to the request list and find as many requests there; the chair signs in and
finds the dashboard in the navigation. axe stays clean; the page never scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from engine import sla
from partners.models import Theme
from tests.factories import PASSWORD
from tests.workflows.partnership.conftest import draft, walk

from .conftest import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COUNT = re.compile(r"(\d+)")  # "2 requests", "طلبان (2)"


def _spread(world):
    other = Theme.objects.exclude(code=world.theme.code).order_by("code").first()
    walk(world, draft(world, title="Late one"), "submitted")
    walk(world, draft(world, title="Late two"), "submitted")
    sla.scan(at=timezone.now() + dt.timedelta(days=30))
    walk(world, draft(world, title="Another theme", theme=other.code), "in_committee")
    return other


def _listed(page) -> int:
    """The request list's own count of what it found."""
    text = page.locator("#search-results p.small").first.inner_text()
    found = COUNT.search(text)
    assert found, text
    return int(found.group(1))


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_filter_by_theme_and_follow_a_figure_to_its_requests(actors, world, language, viewport):
    _spread(world)
    secretariat = actors(world.secretariat, language)
    secretariat.page.set_viewport_size(viewport)
    page = secretariat.open("portal:dashboard")
    # the charts are mirrored in Arabic and say their unit
    assert page.locator("svg.chart-svg").first.get_attribute("direction") == ("rtl" if language == "ar" else "ltr")
    _no_sideways_scroll(page)
    assert serious_violations(page) == []
    # when: the secretariat keeps only the juvenile-justice theme
    page.select_option("#id_theme", world.theme.code)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert f"theme={world.theme.code}" in page.url
    total = int(page.locator('[data-figure="total"]').inner_text())
    assert total == 2
    # then: each table is counted over those two; open the figures of the deadlines now
    panel = page.locator('[data-panel="sla_now"]')
    panel.locator("summary").click()
    figure = panel.locator('a[data-figure="count"]').first  # "breached now"
    expected = int(figure.inner_text())
    assert expected == 2
    screenshot(page, f"dashboard-{'phone' if viewport is PHONE else 'desktop'}", language, full_page=False)
    with page.expect_navigation():
        figure.click()
    # and: the request list shows the same two, with the same filters
    assert "sla=breached" in page.url and f"theme={world.theme.code}" in page.url
    assert _listed(page) == expected
    _no_sideways_scroll(page)
    assert serious_violations(page) == []
    # a chart's bar leads to its requests too
    secretariat.open("portal:dashboard")
    bar = page.locator('[data-panel="by_state"] svg a').filter(has_text="2").first
    with page.expect_navigation():
        bar.click()
    assert _listed(page) == 2


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_chair_signs_in_and_reads_the_dashboard_on_a_phone(browser, site, world, language):
    _spread(world)
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        sign_in(page, site, world.chair.username, PASSWORD, language)
        page.goto(site.url("portal:home", language))
        dashboard = site.url("portal:dashboard", language)
        link = page.locator(f'#portal-nav a[href="{urlparse(dashboard).path}"]')
        if not link.is_visible():
            page.locator("button.navbar-toggler").click()
            link.wait_for(state="visible")
        with page.expect_navigation():
            link.click()
        assert page.url.endswith(dashboard)
        assert int(page.locator('[data-figure="total"]').inner_text()) == 3
        _no_sideways_scroll(page)
        screenshot(page, "dashboard-chair-phone", language)
        assert serious_violations(page) == []
    finally:
        context.close()
