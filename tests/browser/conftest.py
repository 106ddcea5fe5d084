"""Playwright against Debian's Chromium and pytest-django's live server: one browser per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERIOUS = {"serious", "critical"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)  # CI must run the browser tests, never quietly skip them
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the Django ORM calls that
    # the tests make between page actions are still synchronous, so Django's guard can stand down.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def context(browser):
    """A fresh browser profile (cookies) for one test; pages opened in it are closed with it."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


class Site:
    """The live server, addressed by URL name and language."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def url(self, route: str, language: str, /, **kwargs: object) -> str:
        with translation.override(language):
            return self.base + reverse(route, kwargs=kwargs or None)


@pytest.fixture
def site(live_server) -> Site:
    return Site(live_server.url)


def screenshot(page, name: str, language: str, *, full_page: bool = True) -> Path:
    """Save a screenshot to test-artifacts/screenshots/<language>-<name>.png (the whole page by default)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{language}-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") in SERIOUS:
            targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])][:3]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def sign_in(page, site: Site, username: str, password: str, language: str = "en") -> None:
    """Sign in through the form, as a person would."""
    page.goto(site.url("portal:sign_in", language))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


class Actor:
    """A person at their own browser: one context (cookies) and one page reused across steps."""

    def __init__(self, browser, site: Site, user, language: str) -> None:
        from django.conf import settings
        from django.test import Client

        self.site = site
        self.language = language
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(10_000)
        if user is not None:
            # Signing in through the form is tested once; every other actor starts with a session.
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            self.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.base}])
        self.page = self.context.new_page()

    def open(self, route: str, /, **kwargs: object):
        self.page.goto(self.site.url(route, self.language, **kwargs))
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def actors(browser, site):
    """``actors(user, language)``: a signed-in browser for ``user`` (None: a visitor); closed after the test."""
    opened: list[Actor] = []

    def make(user, language: str) -> Actor:
        actor = Actor(browser, site, user, language)
        opened.append(actor)
        return actor

    yield make
    for actor in opened:
        actor.close()


# The domain's test world: people with every role, organizations, the committee, the charter.
from tests.workflows.partnership.conftest import partnership_world  # noqa: E402, F401


@pytest.fixture
def world(request):
    return request.getfixturevalue("partnership_world")
