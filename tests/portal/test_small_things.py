"""Small things a secretariat notices: the icon, unique ids, one current nav item, fragments opened
directly, 405 pages with a body, a browser's language honoured unless the user chose another."""

from __future__ import annotations

import collections
import re

import pytest
from django.contrib.staticfiles import finders
from django.utils import translation

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db


def duplicate_ids(page: str) -> list[str]:
    ids = collections.Counter(re.findall(r'\sid="([^"]+)"', page))
    return sorted(name for name, count in ids.items() if count > 1)


def test_every_page_links_a_local_favicon(client):
    page = client.get(url("portal:transparency", "en")).content.decode()
    assert re.search(r'<link rel="icon" href="/static/portal/favicon[^"]*\.svg"', page)
    assert finders.find("portal/favicon.svg")
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and "favicon" in answer["Location"]


@pytest.mark.parametrize("who", ["committee_member", "conflicted", "secretariat", "requester"])
def test_the_request_page_has_no_duplicate_ids(client, world, who):
    case = walk(world, draft(world), "in_committee")
    user = {
        "committee_member": world.gov[0],
        "conflicted": world.conflicted,
        "secretariat": world.secretariat,
        "requester": world.cso_coordinator,
    }[who]
    client.force_login(user)
    page = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    assert duplicate_ids(page) == []


def test_the_follow_up_request_page_has_no_duplicate_ids(client, world):
    case = walk(world, draft(world), "follow_up")
    client.force_login(world.secretariat)
    page = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    assert duplicate_ids(page) == []


def test_one_nav_item_is_current(client, world):
    client.force_login(world.cso_coordinator)
    page = client.get(url("portal:request_create", "en")).content.decode()
    current = re.findall(r'<a class="nav-link active" href="([^"]+)" aria-current="page"', page)
    assert current == [url("portal:request_create", "en")]
    listing = client.get(url("portal:search", "en")).content.decode()
    assert re.findall(r'<a class="nav-link active" href="([^"]+)"', listing) == [url("portal:search", "en")]


def test_the_bell_opened_directly_is_the_notifications_page(client, world):
    client.force_login(world.secretariat)
    answer = client.get(url("portal:notifications_bell", "en"))
    assert answer.status_code == 302 and answer["Location"] == url("portal:notifications", "en")
    fragment = client.get(url("portal:notifications_bell", "en"), headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()


def test_a_restricted_outcome_opened_directly_comes_with_the_page(client, world):
    case = walk(world, draft(world), "outcome_documented")
    if case.outcome.visibility != "restricted":
        case.outcome.visibility = "restricted"
        case.outcome.restriction_reason = "Ongoing negotiation."
        case.outcome.save(update_fields=["visibility", "restriction_reason"])
    client.force_login(world.secretariat)
    answer = client.get(url("portal:request_outcome", "en", reference=case.reference))
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "<html" in page and 'id="request-body"' in page and case.outcome.summary in page


@pytest.mark.parametrize(("language", "text"), [("en", "cannot be used that way"), ("ar", "لا يمكن استخدام")])
def test_a_405_has_a_page(client, world, language, text):
    client.force_login(world.secretariat)
    answer = client.get(url("portal:notifications_read_all", language))
    assert answer.status_code == 405
    assert "POST" in answer["Allow"]
    body = answer.content.decode()
    assert "<html" in body and text in body


def test_the_api_keeps_its_own_405(client):
    answer = client.delete("/api/v1/charter/")
    assert answer.status_code in (401, 403, 405)
    if answer.status_code == 405:
        assert "<html" not in answer.content.decode()


@pytest.fixture
def arabic_default(settings):
    """The product's default language (Arabic at unprefixed addresses); URL caches rebuilt around it."""
    from django.urls import clear_url_caches

    settings.LANGUAGE_CODE = "ar"
    clear_url_caches()
    translation.activate("ar")
    yield
    settings.LANGUAGE_CODE = "en"
    clear_url_caches()
    translation.activate("en")


def test_an_english_browser_lands_on_english(client, arabic_default):
    answer = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert answer.status_code == 302 and answer["Location"] == "/en/transparency/"
    # an Arabic browser (or none) stays on the default
    assert client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="ar").status_code == 200
    assert client.get("/transparency/").status_code == 200


def test_the_users_choice_wins_over_the_browser(client, arabic_default):
    # given: the person chose Arabic with the language switch in this browser
    client.post("/language/", {"language": "ar", "next": "/transparency/"})
    # when: their English browser opens the default address
    answer = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en")
    # then: Arabic, as chosen
    assert answer.status_code == 200 and 'lang="ar"' in answer.content.decode()


def test_a_link_with_a_language_in_it_is_not_overridden(client, arabic_default):
    answer = client.get("/en/transparency/", HTTP_ACCEPT_LANGUAGE="ar")
    assert answer.status_code == 200 and 'lang="en"' in answer.content.decode()
