"""The request page tells each committee member what is waiting for them, at the top."""

from __future__ import annotations

import pytest

from workflows.partnership import services

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db

NOTHING = "Nothing is waiting for you on this request."


@pytest.fixture
def voting(world):
    return walk(world, draft(world), "in_committee")


def _page(client, user, case, language="en"):
    client.force_login(user)
    answer = client.get(url("portal:request_detail", language, reference=case.reference))
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_member_with_a_pending_vote_is_told_at_the_top(client, world, voting):
    page = _page(client, world.gov[0], voting)
    # then: the notice comes before the request's details, the panel does not say "nothing"
    assert 'data-notice="vote"' in page and "Your vote is awaited" in page
    assert page.index('data-notice="vote"') < page.index('id="committee-title"')
    assert NOTHING not in page
    assert 'href="#vote-form"' in page and 'id="vote-form"' in page


def test_once_voted_the_notice_is_gone(client, world, voting):
    services.vote_cast(request=voting, actor=world.gov[0], decision="approve")
    page = _page(client, world.gov[0], voting)
    assert 'data-notice="vote"' not in page and NOTHING in page


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_recused_member_is_told_why(client, world, voting, language):
    page = _page(client, world.conflicted, voting, language)
    assert 'data-notice="recused"' in page and 'data-notice="vote"' not in page
    expected = (
        "You are recused from this request because of a conflict of interest."
        if language == "en"
        else "لا تصوّت على هذا الطلب"
    )
    assert expected in page


def test_the_chair_is_told_what_the_casting_vote_is_on_a_tie(client, world, voting):
    # given: the eligible members split evenly
    services.vote_cast(request=voting, actor=world.gov[0], decision="approve")
    services.vote_cast(request=voting, actor=world.gov[1], decision="approve")
    services.vote_cast(request=voting, actor=world.cso_seats[1], decision="reject", reason="Out of scope.")
    services.vote_cast(request=voting, actor=world.chair, decision="reject", reason="Not ready.")
    voting.refresh_from_db()
    if voting.state != "in_committee":
        pytest.skip(f"the committee rule decided this split ({voting.state})")
    page = _page(client, world.chair, voting)
    # then
    assert 'data-notice="casting"' in page and "your casting vote decides" in page
    assert url("portal:request_action", "en", reference=voting.reference, name="decide") in page
    # and: nobody else is told they decide
    assert 'data-notice="casting"' not in _page(client, world.gov[0], voting)


def test_the_actions_panel_comes_first_in_the_page(client, world, voting):
    page = _page(client, world.secretariat, voting)
    assert page.index('id="actions-title"') < page.index(
        'id="timeline-title"' if 'id="timeline-title"' in page else "request-main"
    )
