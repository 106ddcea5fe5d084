from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from engine.models import AuditEvent
from workflows.partnership import services
from workflows.partnership.models import ActionItem

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def follow_up(world):
    case = walk(world, draft(world), "outcome_documented")
    services.minutes_confirm(request=case, actor=world.cso_coordinator)
    services.minutes_confirm(request=case, actor=world.ministry_coordinator)
    services.request_follow_up_start(request=case, actor=world.secretariat)
    return case


@pytest.fixture
def item(world, follow_up):
    """An open action owned by the ministry."""
    return services.action_item_create(
        request=follow_up,
        actor=world.secretariat,
        description="Guidelines",
        owner_organization=world.ministry.pk,
        due_date="2027-03-31",
    )


def test_the_secretariat_adds_a_follow_up_action(client, world, follow_up):
    client.force_login(world.secretariat)
    response = client.post(
        url("portal:request_action_item_add", "en", reference=follow_up.reference),
        {
            "description": "Draft implementing guidelines",
            "owner_organization": world.ministry.pk,
            "due_date": "2027-03-31",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    item = ActionItem.objects.get(request=follow_up)
    assert (item.owner_organization, str(item.due_date)) == (world.ministry, "2027-03-31")
    assert AuditEvent.objects.filter(case_id=follow_up.pk, action="action_item_created").exists()


def test_adding_an_action_without_an_owner_is_explained(client, world, follow_up):
    client.force_login(world.secretariat)
    response = client.post(
        url("portal:request_action_item_add", "en", reference=follow_up.reference),
        {"description": "Something", "due_date": "2027-03-31"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert not ActionItem.objects.filter(request=follow_up).exists()


def test_a_party_cannot_add_actions(client, world, follow_up):
    client.force_login(world.cso_coordinator)
    response = client.post(
        url("portal:request_action_item_add", "en", reference=follow_up.reference),
        {"description": "x", "owner_organization": world.cso.pk, "due_date": "2027-03-31"},
    )
    assert response.status_code == 403
    assert not ActionItem.objects.exists()


def test_the_owner_reports_progress_and_completes_the_action(client, world, follow_up, item):
    # given
    client.force_login(world.ministry_coordinator)
    page = client.get(url("portal:request_detail", "en", reference=follow_up.reference)).content.decode()
    assert "Report progress" in page
    # when
    prefix = f"item-{item.pk}-"
    response = client.post(
        url("portal:request_action_item_progress", "en", reference=follow_up.reference, pk=item.pk),
        {
            prefix + "text": "Guidelines adopted by decree.",
            prefix + "status": "done",
            prefix + "evidence_url": "https://example.gov.lb/decree",
        },
        headers=HTMX,
    )
    # then
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == "done" and item.updates.get().text == "Guidelines adopted by decree."
    assert AuditEvent.objects.filter(case_id=follow_up.pk, action="action_status_changed").exists()


def test_dropping_an_action_needs_a_justification(client, world, follow_up, item):
    client.force_login(world.ministry_coordinator)
    prefix = f"item-{item.pk}-"
    response = client.post(
        url("portal:request_action_item_progress", "en", reference=follow_up.reference, pk=item.pk),
        {prefix + "text": "Not feasible this year.", prefix + "status": "dropped"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "Say why the action is dropped." in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open" and not item.updates.exists()


def test_someone_elses_action_cannot_be_reported_on(client, world, follow_up, item):
    client.force_login(world.cso_coordinator)
    prefix = f"item-{item.pk}-"
    response = client.post(
        url("portal:request_action_item_progress", "en", reference=follow_up.reference, pk=item.pk),
        {prefix + "text": "Done!", prefix + "status": "done"},
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "open"
    missing = url("portal:request_action_item_progress", "en", reference=follow_up.reference, pk=item.pk + 999)
    assert client.post(missing, {}).status_code == 404


def test_the_tracker_lists_open_actions_soonest_first_and_flags_overdue_ones(client, world, follow_up):
    # given: one overdue action for the ministry (recorded as of ten days ago, due three days ago),
    # one later for the CSO, one already done
    late = services.action_item_create(
        request=follow_up,
        actor=world.secretariat,
        description="Overdue decree",
        owner_organization=world.ministry.pk,
        due_date=timezone.localdate() - dt.timedelta(days=3),
        at=timezone.now() - dt.timedelta(days=10),
    )
    services.action_item_create(
        request=follow_up,
        actor=world.secretariat,
        description="Training plan",
        owner_organization=world.cso.pk,
        due_date="2027-09-30",
    )
    done = services.action_item_create(
        request=follow_up,
        actor=world.secretariat,
        description="Already done",
        owner_organization=world.cso.pk,
        due_date="2027-01-31",
    )
    services.action_item_update(item=done, actor=world.secretariat, status="done")
    # when / then: the secretariat sees every open action, soonest first, the late one flagged
    client.force_login(world.secretariat)
    page = client.get(url("portal:follow_up", "en")).content.decode()
    assert page.index("Overdue decree") < page.index("Training plan") and "Already done" not in page
    assert "overdue" in page[page.index("Overdue decree") :]
    assert f"#action-item-{late.pk}" in page
    # the ministry's coordinator sees their own by default
    client.force_login(world.ministry_coordinator)
    mine = client.get(url("portal:follow_up", "en")).content.decode()
    assert "Overdue decree" in mine and "Training plan" not in mine
    everything = client.get(url("portal:follow_up", "en"), {"mine": "0"}).content.decode()
    assert "Training plan" in everything


def test_outsiders_see_no_follow_up(client, world, follow_up):
    services.action_item_create(
        request=follow_up,
        actor=world.secretariat,
        description="Decree",
        owner_organization=world.ministry.pk,
        due_date="2027-01-31",
    )
    client.force_login(world.other_cso_coordinator)
    page = client.get(url("portal:follow_up", "en"), {"mine": "0"}).content.decode()
    assert "Decree" not in page and "No open follow-up action." in page
