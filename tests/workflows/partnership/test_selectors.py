"""Selectors: who sees what, and a constant number of queries whatever the number of requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engine import sla
from workflows.partnership import selectors, services

from .conftest import draft, walk

pytestmark = pytest.mark.django_db


def populate(world, copies: int) -> None:
    """``copies`` requests in each of: CSO draft, ministry draft, submitted, info requested, in committee, approved."""
    for _ in range(copies):
        draft(world, by="cso")
        draft(world, by="ministry")
        walk(world, draft(world, by="cso"), "submitted")
        asked = walk(world, draft(world, by="ministry"), "submitted")
        services.request_info_request(request=asked, actor=world.secretariat, message="Budget?")
        walk(world, draft(world, by="cso"), "in_committee")
        walk(world, draft(world, by="ministry"), "approved")


def fresh(user):
    """The user as a new HTTP request would load it (no cached roles)."""
    return get_user_model().objects.get(pk=user.pk)


def count_queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
        if hasattr(result, "__iter__") and not isinstance(result, str):
            result = list(result)
    return len(captured), result


SELECTORS = {
    "visible_requests": lambda w: (selectors.visible_requests, w.cso_coordinator),
    "visible_requests_secretariat": lambda w: (selectors.visible_requests, w.secretariat),
    "my_requests": lambda w: (selectors.my_requests, w.ministry_coordinator),
    "triage_queue": lambda w: (selectors.triage_queue, w.secretariat),
    "awaiting_my_vote": lambda w: (selectors.awaiting_my_vote, w.gov[0]),
    "overdue": lambda w: (selectors.overdue, w.secretariat_lead),
}
# Measured: three queries load the caller's roles, memberships and seat, then one for the
# requests and one for their counterparts.
EXPECTED_QUERIES = {
    "visible_requests": 5,
    "visible_requests_secretariat": 5,
    "my_requests": 5,
    "triage_queue": 5,
    "awaiting_my_vote": 5,
    "overdue": 5,
}


@pytest.mark.parametrize("name", list(SELECTORS))
def test_selector_query_count_does_not_grow_with_data(partnership_world, name):
    # given one set of requests, measured
    selector, user = SELECTORS[name](partnership_world)
    populate(partnership_world, 1)
    sla.scan(at=timezone.now() + dt.timedelta(days=60))
    small, small_rows = count_queries(lambda: selector(fresh(user)))
    # when there are three times as many
    populate(partnership_world, 2)
    sla.scan(at=timezone.now() + dt.timedelta(days=60))
    large, large_rows = count_queries(lambda: selector(fresh(user)))
    # then the number of queries is the same
    assert len(large_rows) > len(small_rows) > 0
    assert small == large == EXPECTED_QUERIES[name] + 1  # + loading the user


def test_request_detail_query_count_does_not_grow_with_history(partnership_world, django_assert_num_queries):
    w = partnership_world
    small = walk(w, draft(w), "outcome_documented")
    large = walk(w, draft(w), "outcome_documented")
    for request, items in ((small, 1), (large, 3)):
        for n in range(items):
            item = services.action_item_create(
                request=request,
                actor=w.secretariat,
                description=f"Step {n}",
                owner_organization=w.cso,
                due_date="2027-01-31",
            )
            services.action_update_add(item=item, actor=w.cso_coordinator, text="Started", status="in_progress")
    with CaptureQueriesContext(connection) as few:
        selectors.request_detail(small.reference, fresh(w.auditor))
    # the caller (1) and its roles (3), the request (1), 12 prefetches (sessions' participants among them),
    # clocks and history (2)
    assert len(few) == 20
    with django_assert_num_queries(len(few)):
        detail = selectors.request_detail(large.reference, fresh(w.auditor))
    assert len(detail.history) >= 20 and len(detail.action_items.all()) == 3
    assert detail.outcome.summary and detail.meetings.all()[0].invitees.all()


def test_cso_never_sees_other_organizations_drafts_and_counterparts_see_after_acceptance(partnership_world):
    w = partnership_world
    # given a CSO draft, a submitted and an accepted ministry request naming the CSO
    cso_draft = draft(w, by="cso")
    ministry_submitted = walk(w, draft(w, by="ministry"), "submitted")
    ministry_accepted = walk(w, draft(w, by="ministry"), "in_committee")
    other = services.request_create(
        actor=w.other_cso_coordinator,
        data={
            "title": "Accessible polling stations",
            "summary": "Disability and elections.",
            "theme": "disability-rights",
            "format": "workshop",
            "requesting_organization": w.other_cso.pk,
            "counterpart_organizations": [w.ministry.pk],
        },
    )
    # then each sees what is theirs
    assert set(selectors.visible_requests(fresh(w.cso_coordinator))) == {cso_draft, ministry_accepted}
    assert set(selectors.visible_requests(fresh(w.other_cso_coordinator))) == {other}
    assert set(selectors.visible_requests(fresh(w.ministry_coordinator))) == {ministry_submitted, ministry_accepted}
    for overseer in (w.secretariat, w.auditor, w.chair):
        assert set(selectors.visible_requests(fresh(overseer))) == {ministry_submitted, ministry_accepted}


def test_triage_queue_shows_the_clock_of_each_request(partnership_world):
    w = partnership_world
    submitted = walk(w, draft(w), "submitted")
    asked = walk(w, draft(w, by="ministry"), "submitted")
    services.request_info_request(request=asked, actor=w.secretariat, message="Who attends?")
    queue = {r.reference: r for r in selectors.triage_queue(fresh(w.secretariat))}
    assert set(queue) == {submitted.reference, asked.reference}
    assert queue[submitted.reference].sla_owner == "secretariat"
    assert queue[asked.reference].sla_owner == "requester"
    assert queue[asked.reference].triage_due_at is not None  # the paused triage clock
    assert list(selectors.triage_queue(fresh(w.cso_coordinator))) == []


def test_awaiting_my_vote_leaves_out_voted_and_conflicted_requests(partnership_world):
    w = partnership_world
    cso_request = walk(w, draft(w, by="cso"), "in_committee")
    ministry_request = walk(w, draft(w, by="ministry"), "in_committee")
    assert set(selectors.awaiting_my_vote(fresh(w.gov[0]))) == {cso_request, ministry_request}
    services.vote_cast(request=cso_request, actor=w.gov[0], decision="abstain")
    assert set(selectors.awaiting_my_vote(fresh(w.gov[0]))) == {ministry_request}
    # the member from the CSO is conflicted on both requests (its organization is a party to each)
    assert list(selectors.awaiting_my_vote(fresh(w.conflicted))) == []
    assert list(selectors.awaiting_my_vote(fresh(w.cso_coordinator))) == []


def test_overdue_lists_breached_clocks(partnership_world):
    w = partnership_world
    late = walk(w, draft(w), "submitted")
    sla.scan(at=timezone.now() + dt.timedelta(days=30))
    rows = list(selectors.overdue(fresh(w.secretariat)))
    assert [(r.pk, r.breached_state, r.breached_owner) for r in rows] == [(late.pk, "submitted", "secretariat")]
