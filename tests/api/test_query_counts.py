"""Reads keep a constant number of queries, whatever the page size or the size of a case's history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workflows.partnership import services

from .conftest import draft

pytestmark = pytest.mark.django_db


def queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured)


def test_the_request_list_costs_the_same_for_any_page_size(partnership_world, client_for):
    # given 30 submitted requests with counterparts
    world = partnership_world
    for _ in range(30):
        services.request_submit(request=draft(world), actor=world.cso_coordinator)
    secretariat = client_for(world.secretariat)
    # when / then
    counts = {size: queries(secretariat, "/api/v1/requests/", page_size=size) for size in (1, 10, 30)}
    assert len(set(counts.values())) == 1, counts


def test_detail_and_history_cost_the_same_for_a_long_history(partnership_world, client_for):
    world = partnership_world
    short, long = draft(world), draft(world)
    for _ in range(10):
        services.request_update(request=long, actor=world.cso_coordinator, data={"title": f"Title {_}"})
    coordinator = client_for(world.cso_coordinator)
    for path in ("", "history/", "transitions/"):
        assert queries(coordinator, f"/api/v1/requests/{short.reference}/{path}") == queries(
            coordinator, f"/api/v1/requests/{long.reference}/{path}"
        )
