"""Each main page costs a constant number of SQL queries, however many requests and events there are.

(benchmarks/portal_pages.py prints the queries and server time of every page at demo-like size.)
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workflows.partnership import services

from .conftest import draft, outcome_data, url, walk

pytestmark = pytest.mark.django_db


def queries(client, user, address, **extra) -> int:
    if user is not None:
        client.force_login(user)
    client.get(address, **extra)  # warm caches (calendar, SLA policies, translations)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address, **extra)
    assert response.status_code == 200
    return len(captured.captured_queries)


def published(world, title):
    case = walk(world, draft(world, title=title), "meeting_held")
    services.outcome_document(request=case, actor=world.secretariat, data=outcome_data())
    services.minutes_confirm(request=case, actor=world.cso_coordinator)
    services.minutes_confirm(request=case, actor=world.ministry_coordinator)
    return case


def test_list_pages_do_not_grow_with_the_number_of_requests(client, world):
    # given: a few requests everywhere
    for index in range(2):
        walk(world, draft(world, title=f"Submitted {index}"), "submitted")
        walk(world, draft(world, title=f"In committee {index}"), "in_committee")
        published(world, f"Published {index}")
    pages = [
        (world.secretariat, url("portal:home", "en")),
        (world.gov[0], url("portal:home", "en")),
        (world.cso_coordinator, url("portal:home", "en")),
        (world.auditor, url("portal:search", "en")),
        (world.auditor, url("portal:search", "en") + "?mode=history"),
        (world.secretariat, url("portal:dashboard", "en")),
        (None, url("portal:transparency", "en")),
    ]
    before = [queries(client, user, address) for user, address in pages]
    # when: three times as many
    for index in range(2, 6):
        walk(world, draft(world, title=f"Submitted {index}"), "submitted")
        walk(world, draft(world, title=f"In committee {index}"), "in_committee")
        published(world, f"Published {index}")
    client.logout()
    after = [queries(client, user, address) for user, address in pages]
    # then
    assert after == before
    assert max(before) <= 15


def test_the_request_page_does_not_grow_with_its_history(client, world):
    case = walk(world, draft(world), "outcome_documented")
    services.minutes_confirm(request=case, actor=world.cso_coordinator)
    services.minutes_confirm(request=case, actor=world.ministry_coordinator)
    services.request_follow_up_start(request=case, actor=world.secretariat)
    services.action_item_create(
        request=case,
        actor=world.secretariat,
        description="One",
        owner_organization=world.ministry.pk,
        due_date="2027-06-30",
    )
    address = url("portal:request_detail", "en", reference=case.reference)
    before = queries(client, world.secretariat, address)
    for index in range(5):
        item = services.action_item_create(
            request=case,
            actor=world.secretariat,
            description=f"More {index}",
            owner_organization=world.cso.pk,
            due_date="2027-06-30",
        )
        services.action_update_add(item=item, actor=world.secretariat, text="Progress")
    assert queries(client, world.secretariat, address) == before
    assert before <= 30
