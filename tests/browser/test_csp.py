"""Item 4 of the security issue: every main page, in both languages, runs under the strict
Content-Security-Policy without a single violation; htmx still swaps content; the API viewers render."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model

from tests.factories import ensure_seed_data
from workflows.partnership.demo import build_demo
from workflows.partnership.models import DialogueRequest
from workflows.partnership.selectors import published_outcomes

pytestmark = pytest.mark.django_db(transaction=True)

# Recorded in the page itself, before any of its scripts run (an init script is not subject to the policy).
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


class Watcher:
    """CSP violations of one browser context: the page's own events and the console's reports."""

    def __init__(self, context) -> None:
        self.console: list[str] = []
        # Requests of the context not answered yet (loaded, failed or refused all count as answered).
        self.pending: set[object] = set()
        context.add_init_script(LISTEN)
        context.on("console", self._on_console)
        context.on("request", self._on_request)
        context.on("requestfinished", self._on_answered)
        context.on("requestfailed", self._on_answered)

    def _on_request(self, request) -> None:
        self.pending.add(request)

    def _on_answered(self, request) -> None:
        self.pending.discard(request)

    def _on_console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)

    def settled(self, page, timeout: float = 10) -> None:
        """Wait until the page has loaded and every request it made has been answered.

        What "networkidle" waited for, without its fixed half-second of quiet after the last request
        (on every page of every test here). A round trip into the page first delivers the events of
        requests its scripts started meanwhile.
        """
        page.wait_for_load_state("load")
        page.evaluate("document.readyState")
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        assert not self.pending, [getattr(request, "url", request) for request in self.pending]

    def violations(self, page) -> list[str]:
        self.settled(page)
        return [*page.evaluate("window.__cspViolations || []"), *self.console]


def test_no_main_page_reports_a_csp_violation_in_either_language(actors, site):
    # given: the demo platform
    ensure_seed_data()
    build_demo(password="pw-123456", log=lambda *args, **kwargs: None)
    users = {user.username: user for user in get_user_model().objects.all()}
    in_follow_up = DialogueRequest.objects.filter(state="follow_up").first()
    draft = DialogueRequest.objects.filter(
        state="draft", requesting_organization__memberships__user=users["cso-coordinator"]
    ).first()
    outcome = published_outcomes().first()
    pages = [
        (None, "portal:home", {}),
        (None, "portal:sign_in", {}),
        (None, "portal:transparency", {}),
        (None, "portal:transparency_detail", {"reference": outcome.reference}),
        ("secretariat", "portal:home", {}),
        ("secretariat", "portal:request_detail", {"reference": in_follow_up.reference}),
        ("secretariat", "portal:dashboard", {}),
        ("secretariat", "portal:follow_up", {}),
        ("secretariat", "portal:notifications", {}),
        ("secretariat", "portal:preferences", {}),
        ("auditor", "portal:search", {}),
        ("cso-coordinator", "portal:home", {}),
        ("cso-coordinator", "portal:request_create", {}),
    ]
    if draft is not None:
        pages.append(("cso-coordinator", "portal:request_edit", {"reference": draft.reference}))
    found: dict[str, list[str]] = {}
    for language in ("ar", "en"):
        opened = {}
        for username, route, kwargs in pages:
            if username not in opened:
                actor = actors(users.get(username), language)
                opened[username] = (actor, Watcher(actor.context))
            actor, watcher = opened[username]
            page = actor.page
            response = page.goto(actor.site.url(route, language, **kwargs))
            # then: the page answered with the policy and nothing on it was refused
            assert "default-src 'self'" in response.headers.get("content-security-policy", ""), route
            assert page.get_attribute("html", "lang") == language
            problems = watcher.violations(page)
            watcher.console.clear()
            if problems:
                found[f"{route} {kwargs} ({language})"] = problems
    assert found == {}


def test_htmx_still_swaps_under_the_policy(actors):
    # given: the transparency search, which htmx refreshes as one types
    ensure_seed_data()
    build_demo(password="pw-123456", log=lambda *args, **kwargs: None)
    actor = actors(None, "en")
    watcher = Watcher(actor.context)
    page = actor.open("portal:transparency")
    # when
    with page.expect_response(
        lambda response: "/transparency/" in response.url and response.request.headers.get("hx-request") == "true"
    ):
        page.fill("#q", "zzzz-nothing-matches")
    # then: the results were swapped in by htmx, with no violation
    assert watcher.violations(page) == []


# ReDoc's "API docs by Redocly" badge loads its logo from Redocly's CDN, which no setting turns off: the
# policy refusing that third-party image (never reachable from a government intranet anyway) is intended.
REDOC_BADGE = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize("path, marker", [("/api/docs/", ".swagger-ui .info"), ("/api/redoc/", ".api-content")])
def test_the_api_viewers_render_with_only_what_they_need(page, site, path, marker):
    watcher = Watcher(page.context)
    response = page.goto(site.base + path)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]
    page.wait_for_selector(marker, timeout=20_000)
    assert [problem for problem in watcher.violations(page) if REDOC_BADGE not in problem] == []
