from __future__ import annotations

import pytest

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db


def home(client, user, language="en"):
    client.force_login(user)
    response = client.get(url("portal:home", language))
    assert response.status_code == 200
    return response.content.decode()


def test_visitors_get_the_landing_page(client):
    page = client.get(url("portal:home", "en")).content.decode()
    assert "Sign in" in page and "See published outcomes" in page


def test_the_requester_sees_what_waits_for_them(client, world):
    mine = draft(world, title="Our draft")
    walk(world, draft(world, title="Submitted one"), "submitted")
    page = home(client, world.cso_coordinator)
    assert "Waiting for me" in page and "My organization's requests" in page
    waiting = page[page.index("Waiting for me") : page.index("My organization's requests")]
    assert mine.reference in waiting and "Submitted one" not in waiting
    assert "New request" in page


def test_the_secretariat_sees_the_triage_queue_with_sla_and_whose_turn(client, world):
    case = walk(world, draft(world), "submitted")
    page = home(client, world.secretariat)
    assert "Triage queue" in page and case.reference in page
    assert "On track" in page and "Secretariat" in page


def test_a_committee_member_sees_what_awaits_their_vote(client, world):
    case = walk(world, draft(world), "in_committee")
    assert case.reference in home(client, world.gov[0])
    # the member recused by belonging to the requesting CSO does not
    page = home(client, world.conflicted)
    assert "Awaiting my vote" in page and case.reference not in page.split("Awaiting my vote")[1].split("</section>")[0]


def test_the_auditor_gets_search_over_cases_and_history(client, world):
    page = home(client, world.auditor, "ar")
    assert 'lang="ar"' in page
    assert url("portal:search", "ar") in page and "mode=history" in page


def test_a_user_without_any_role_is_told_so(client, make_user):
    page = home(client, make_user("nobody"))
    assert "no role on the platform" in page
