from __future__ import annotations

import csv
import io

import pytest

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def spread(world):
    """Requests in a few states."""
    return {
        "draft": draft(world, title="Still a draft"),
        "submitted": walk(world, draft(world, title="Waiting for triage"), "submitted"),
        "approved": walk(world, draft(world, by="ministry", title="Approved by the committee"), "approved"),
    }


def test_the_auditor_searches_every_request_that_left_its_draft(client, world, spread):
    client.force_login(world.auditor)
    page = client.get(url("portal:search", "en")).content.decode()
    assert spread["submitted"].reference in page and spread["approved"].reference in page
    assert spread["draft"].reference not in page


def test_search_filters_by_state_and_side_and_answers_htmx_with_results_only(client, world, spread):
    client.force_login(world.secretariat)
    response = client.get(url("portal:search", "en"), {"state": "approved", "side": "public"}, headers=HTMX)
    page = response.content.decode()
    assert "<html" not in page
    assert spread["approved"].reference in page and spread["submitted"].reference not in page
    text = client.get(url("portal:search", "en"), {"q": "triage"}).content.decode()
    assert spread["submitted"].reference in text and spread["approved"].reference not in text


def test_a_requester_searches_only_what_they_may_see(client, world, spread):
    client.force_login(world.other_cso_coordinator)
    page = client.get(url("portal:search", "en")).content.decode()
    assert "No request matches." in page


def test_the_audit_history_is_for_oversight(client, world, spread):
    reference = spread["approved"].reference
    client.force_login(world.auditor)
    page = client.get(url("portal:search", "en"), {"mode": "history", "q": reference}).content.decode()
    assert "Audit history" in page and page.count(reference) > 3
    client.force_login(world.cso_coordinator)
    assert client.get(url("portal:search", "en"), {"mode": "history"}).status_code == 403


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_dashboard_draws_its_charts_on_the_server(client, world, spread, language):
    client.force_login(world.secretariat)
    response = client.get(url("portal:dashboard", language))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<svg class="chart-svg"') >= 4
    assert 'role="img"' in page or 'role="group"' in page


def test_dashboard_tables_export_as_csv(client, world, spread):
    client.force_login(world.auditor)
    response = client.get(url("portal:dashboard_csv", "en", key="by_state"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["State", "Number of requests"]
    counts = {row[0]: int(row[1]) for row in rows[1:]}
    # the draft is not the auditor's to see, so the dashboard does not count it
    assert counts["Submitted"] == 1 and counts["Approved"] == 1 and counts["Draft"] == 0
    sla = client.get(url("portal:dashboard_csv", "en", key="sla"))
    assert sla.status_code == 200
    assert client.get(url("portal:dashboard_csv", "en", key="nope")).status_code == 404


def test_the_median_time_in_each_state_comes_from_the_audit_trail(client, world, spread):
    from portal import reports

    table = reports.time_in_state()
    states = [row[0] for row in table.rows]
    assert "Draft" in states and "Submitted" in states
    assert all(row[1] >= 0 for row in table.rows)


def test_the_dashboard_is_refused_to_requesters_and_members(client, world):
    for user in (world.cso_coordinator, world.gov[0]):
        client.force_login(user)
        assert client.get(url("portal:dashboard", "en")).status_code == 403
        assert client.get(url("portal:dashboard_csv", "en", key="by_state")).status_code == 403
