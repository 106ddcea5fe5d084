"""The request list is rendered from values rows (``api.rows``): the same JSON as the serializer, constant queries.

Every role that reads the list (secretariat, a coordinator who sees own and counterpart requests, a
committee member, an auditor) pays the same number of queries at page size 10 as at 100.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from workflows.partnership import services
from workflows.partnership.api.serializers import RequestSerializer
from workflows.partnership.api.views import with_rows
from workflows.partnership.models import DialogueRequest
from workflows.partnership.selectors import visible_requests

from .conftest import draft, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_requests(partnership_world):
    """12 requests by the CSO, 12 by the ministry naming the CSO as counterpart, in several states."""
    world = partnership_world
    made = []
    for index in range(12):
        made.append(draft(world, title=f"CSO request {index}"))
        ministry = draft(world, by="ministry", title=f"Ministry request {index}", policy_question="")
        made.append(ministry)
    for request in made[2:]:
        services.request_submit(request=request, actor=_requester(world, request))
    for request in made[6:12]:
        walk(world, request, "in_committee")
    return made


def _requester(world, request):
    return world.cso_coordinator if request.requesting_organization_id == world.cso.pk else world.ministry_coordinator


def _page(client, **params) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/requests/", params)
    assert response.status_code == 200, response.content
    return response.json(), len(captured)


def _expected(user, ids) -> list[dict]:
    """What the serializer itself renders for these rows (the contract the values rows must keep)."""
    rows = with_rows(visible_requests(user)).filter(pk__in=ids).order_by("-id")
    return json.loads(json.dumps(RequestSerializer(rows, many=True).data))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_list_rows_are_the_serializer_s_answer_field_for_field(partnership_world, many_requests, client_for, language):
    # given a request with every optional field set, nulls elsewhere, and two counterparts
    world = partnership_world
    full = many_requests[-1]
    full.counterpart_organizations.add(world.other_cso)
    DialogueRequest.objects.filter(pk=full.pk).update(
        decision="approve",
        decision_reason="Quorum reached",
        decided_at=dt.datetime(2026, 1, 1, 12, 30, 0, 123456, tzinfo=dt.UTC),
        closed_at=dt.datetime(2026, 7, 1, 21, 0, tzinfo=dt.UTC),
        appeal_used=True,
        period_start=None,
        expected_participants=None,
        title="حوار حول بدائل الاحتجاز",
    )
    client = client_for(world.secretariat, language)
    # when
    body, _count = _page(client, page_size=100)
    # then the rows, their keys in order, their values and types are the serializer's
    ids = [DialogueRequest.objects.get(reference=row["reference"]).pk for row in body["results"]]
    with translation.override(language):
        expected = _expected(world.secretariat, ids)
    assert body["results"] == expected
    assert [list(row) for row in body["results"]] == [list(row) for row in expected]
    assert [list(row["requesting_organization"]) for row in body["results"]] == [
        list(row["requesting_organization"]) for row in expected
    ]
    shown = next(row for row in body["results"] if row["reference"] == full.reference)
    assert shown["decided_at"] == "2026-01-01T14:30:00.123456+02:00"  # Beirut, as DRF renders it
    assert shown["period_start"] is None and shown["expected_participants"] is None
    assert len(shown["counterpart_organizations"]) == 2
    assert body["count"] == len(expected)


def test_list_rows_follow_the_active_time_zone(partnership_world, many_requests, client_for):
    # given a time zone activated for the request (as a middleware might)
    world = partnership_world
    client = client_for(world.secretariat)
    # when
    with timezone.override(dt.UTC):
        body, _count = _page(client, page_size=5)
        expected = _expected(
            world.secretariat, [DialogueRequest.objects.get(reference=r["reference"]).pk for r in body["results"]]
        )
    # then
    assert body["results"] == expected
    assert body["results"][0]["created_at"].endswith("Z")


@pytest.mark.parametrize("role", ["secretariat", "cso_coordinator", "committee_member", "auditor"])
def test_the_list_costs_the_same_queries_at_page_size_10_and_100(partnership_world, many_requests, client_for, role):
    # given a reader of each kind (the CSO's coordinator sees own drafts and accepted counterpart requests)
    world = partnership_world
    user = {
        "secretariat": world.secretariat,
        "cso_coordinator": world.cso_coordinator,
        "committee_member": world.gov[0],
        "auditor": world.auditor,
    }[role]
    client = client_for(user)
    # when
    small, small_queries = _page(client, page_size=10)
    large, large_queries = _page(client, page_size=100)
    filtered, filtered_queries = _page(client, page_size=100, state="submitted")
    # then more rows, same queries: token, the reader's roles, memberships and seat, count, rows, counterparts
    assert len(small["results"]) == 10 < len(large["results"])
    assert small_queries == large_queries == filtered_queries == 7


def test_a_coordinator_sees_own_and_accepted_counterpart_requests_only(partnership_world, many_requests, client_for):
    # given the ministry's requests naming the CSO: drafts and submitted ones are not the CSO's to see yet
    world = partnership_world
    # when
    body, _count = _page(client_for(world.cso_coordinator), page_size=100)
    # then
    expected = {r.reference for r in visible_requests(world.cso_coordinator)}
    assert {row["reference"] for row in body["results"]} == expected
    assert any(row["requesting_organization"]["id"] == world.ministry.pk for row in body["results"])
    assert all(
        row["requesting_organization"]["id"] == world.cso.pk or row["state"] not in ("draft", "submitted")
        for row in body["results"]
    )
