"""/requests/ as the secretariat's queue: assignment from a row, in bulk and from the request page,
the urgency order and time-left column, "waiting for me" agreeing with the request page, saved filters,
and a constant number of queries per page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engine.models import AuditEvent, SlaClock
from portal.models import SavedFilter
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db


def submitted(world, title="A request"):
    return walk(world, draft(world, title=title), "submitted")


def _page(client, user, address):
    client.force_login(user)
    answer = client.get(address)
    assert answer.status_code == 200
    return answer.content.decode()


# --- order and time left -------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "overdue"), [("en", "business days overdue"), ("ar", "أيام عمل")])
def test_the_breached_request_comes_first_with_its_overdue_text(client, world, language, overdue):
    # the late one is older: newest-first would show it last
    late, calm = submitted(world, "Late"), submitted(world, "Calm")
    now = timezone.now()
    SlaClock.objects.filter(case_id=late.pk, state="submitted").update(
        due_at=now - dt.timedelta(days=8), status="breached", breached_at=now - dt.timedelta(days=8)
    )
    page = _page(client, world.secretariat, url("portal:search", language))
    assert page.index(late.reference) < page.index(calm.reference)
    row = page[page.index(f'data-reference="{late.reference}"') :]
    row = row[: row.index("</tr>")]
    assert "time-left-overdue" in row
    assert overdue in row
    assert "<time" in row


def test_other_orders_are_offered_and_bad_ones_ignored(client, world):
    first, second = submitted(world, "First"), submitted(world, "Second")
    page = _page(client, world.secretariat, url("portal:search", "en") + "?sort=newest")
    assert page.index(second.reference) < page.index(first.reference)
    page = _page(client, world.secretariat, url("portal:search", "en") + "?sort=reference")
    assert page.index(first.reference) < page.index(second.reference)
    for garbage in (
        "?sort=drop%20table",
        "?assignee=abc",
        "?assignee=99999",
        "?waiting=you",
        "?assignee=%D9%A3",
        "?assignee=99999999999999",
        "?q=courts&waiting=me&assignee=me&sort=reference&state=submitted",
    ):
        assert client.get(url("portal:search", "en") + garbage).status_code == 200


def test_the_queue_costs_the_same_queries_with_three_times_the_rows(client, world):
    for index in range(2):
        services.request_assign(
            request=submitted(world, f"R{index}"), actor=world.secretariat, assignee=world.secretariat
        )
    address = url("portal:search", "en") + "?waiting=me&assignee=me"
    client.force_login(world.secretariat)
    client.get(address)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured.captured_queries)

    before = count()
    for index in range(2, 6):
        services.request_assign(
            request=submitted(world, f"R{index}"), actor=world.secretariat, assignee=world.secretariat
        )
    assert count() == before
    assert before <= 15


# --- assigning from the queue ---------------------------------------------------------------------


def test_assign_to_me_from_a_row(client, world):
    request = submitted(world)
    client.force_login(world.secretariat)
    answer = client.post(url("portal:queue_assign", "en"), {"row": request.reference, "back": "state=submitted"})
    assert answer.status_code == 302
    assert answer["Location"].endswith("?state=submitted")
    assert DialogueRequest.objects.get(pk=request.pk).assignee == world.secretariat
    page = client.get(answer["Location"]).content.decode()
    assert 'data-result="done"' in page
    # the result is said once
    assert 'data-result="done"' not in client.get(answer["Location"]).content.decode()


def test_bulk_assignment_says_per_row_what_happened_in_arabic(client, world):
    free, mine = submitted(world, "Free"), submitted(world, "Mine")
    services.request_assign(request=mine, actor=world.secretariat, assignee=world.secretariat_lead)
    client.force_login(world.secretariat)
    answer = client.post(
        url("portal:queue_assign", "ar"),
        {"refs": [free.reference, mine.reference], "to": "officer", "officer": str(world.secretariat_lead.pk)},
    )
    page = client.get(answer["Location"]).content.decode()
    assert page.count('data-result="done"') == 1
    assert page.count('data-result="refused"') == 1
    assert "هذا الطلب مُسنَد إلى هذا الموظف بالفعل." in page
    assert DialogueRequest.objects.get(pk=free.pk).assignee == world.secretariat_lead


def test_rows_someone_outside_the_secretariat_selects_are_all_refused(client, world):
    request = submitted(world)
    client.force_login(world.chair)
    answer = client.post(url("portal:queue_assign", "en"), {"refs": [request.reference], "to": "me"})
    page = client.get(answer["Location"]).content.decode()
    assert 'data-result="refused"' in page
    assert "Only the secretariat may do this." in page
    assert DialogueRequest.objects.get(pk=request.pk).assignee is None


def test_nothing_selected_is_said(client, world):
    client.force_login(world.secretariat)
    answer = client.post(url("portal:queue_assign", "en"), {"to": "me"})
    assert "Select at least one request first." in client.get(answer["Location"]).content.decode()


# --- assigning from the request page ------------------------------------------------------------------


def test_assign_and_reassign_from_the_request_page(client, world):
    request = submitted(world)
    address = url("portal:request_detail", "en", reference=request.reference)
    page = _page(client, world.secretariat, address)
    assert 'id="assignee-panel"' in page
    client.post(url("portal:request_assign", "en", reference=request.reference), {"to": "me"})
    assert DialogueRequest.objects.get(pk=request.pk).assignee == world.secretariat
    client.post(
        url("portal:request_assign", "en", reference=request.reference),
        {"to": str(world.secretariat_lead.pk), "reason": "On leave"},
    )
    assert DialogueRequest.objects.get(pk=request.pk).assignee == world.secretariat_lead
    page = client.get(address).content.decode()
    assert "Request assigned" in page and "On leave" in page


def test_a_refused_assignment_on_the_request_page_says_why(client, world):
    request = submitted(world)
    client.force_login(world.secretariat)
    answer = client.post(url("portal:request_assign", "ar", reference=request.reference), {"to": "garbage"})
    assert answer.status_code == 400
    assert "اختر الموظف الذي يتولى الطلب." in answer.content.decode()
    client.force_login(world.cso_coordinator)
    answer = client.post(url("portal:request_assign", "en", reference=request.reference), {"to": "me"})
    assert answer.status_code == 403
    assert DialogueRequest.objects.get(pk=request.pk).assignee is None
    assert not AuditEvent.objects.filter(case_id=request.pk, action="assigned").exists()


# --- waiting for me: the queue and the request page agree ---------------------------------------------


def _waiting_in_queue(client, user):
    page = _page(client, user, url("portal:search", "en") + "?waiting=me")
    return {
        ref for ref in DialogueRequest.objects.values_list("reference", flat=True) if f'data-reference="{ref}"' in page
    }


def _told_on_page(client, user, request):
    client.force_login(user)
    answer = client.get(url("portal:request_detail", "en", reference=request.reference))
    if answer.status_code == 404:
        return False  # not theirs to see (a counterpart before acceptance)
    page = answer.content.decode()
    # the party's minutes have a notice of their own words ("the minutes await your confirmation")
    return any(f'data-notice="{kind}"' in page for kind in ("waiting", "vote", "minutes"))


@pytest.mark.parametrize("role", ["secretariat", "committee", "cso", "ministry"])
def test_waiting_for_me_agrees_with_the_request_page(client, world, role):
    # given: requests at several steps
    assigned = submitted(world, "Assigned")
    services.request_assign(request=assigned, actor=world.secretariat, assignee=world.secretariat)
    asked = submitted(world, "Asked")
    services.request_info_request(request=asked, actor=world.secretariat, message="Which courts?")
    voting = walk(world, draft(world, title="Voting"), "in_committee")
    minutes = walk(world, draft(world, title="Minutes"), "outcome_documented")
    services.minutes_confirm(request=minutes, actor=world.cso_coordinator)
    user = {
        "secretariat": world.secretariat,
        "committee": world.gov[0],
        "cso": world.cso_coordinator,
        "ministry": world.ministry_coordinator,
    }[role]
    expected = {
        "secretariat": {assigned.reference},
        "committee": {voting.reference},
        "cso": {asked.reference},
        "ministry": {minutes.reference},
    }[role]
    # then: the queue lists exactly these, and each request's page says so (and only those)
    assert _waiting_in_queue(client, user) == expected
    for request in (assigned, asked, voting, minutes):
        assert _told_on_page(client, user, request) == (request.reference in expected), request.title


# --- saved filters ------------------------------------------------------------------------------------


def test_save_reopen_and_delete_a_filter(client, world):
    client.force_login(world.secretariat)
    answer = client.post(
        url("portal:saved_filter_save", "en"), {"name": "My late ones", "query": "assignee=me&sort=newest&evil=1"}
    )
    saved = SavedFilter.objects.get(owner=world.secretariat)
    assert saved.query == "assignee=me&sort=newest"
    assert answer["Location"].endswith("?assignee=me&sort=newest")
    page = client.get(url("portal:search", "en")).content.decode()
    assert "My late ones" in page and "?assignee=me&amp;sort=newest" in page
    # only the owner sees it, and only the owner deletes it
    assert "My late ones" not in _page(client, world.secretariat_lead, url("portal:search", "en"))
    client.post(url("portal:saved_filter_delete", "en", pk=saved.pk))
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    client.force_login(world.secretariat)
    client.post(url("portal:saved_filter_delete", "en", pk=saved.pk))
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("   ", "أعطِ المرشّح اسمًا."),
        ("x" * 81, "لا يتجاوز اسم المرشّح 80 حرفًا."),
        ("late", "لديك مرشّح باسم «late» بالفعل."),
    ],
)
def test_bad_filter_names_are_refused_in_words(client, world, name, error):
    SavedFilter.objects.create(owner=world.secretariat, name="Late", query="")
    client.force_login(world.secretariat)
    answer = client.post(url("portal:saved_filter_save", "ar"), {"name": name, "query": "state=submitted"})
    assert answer.status_code == 302
    assert error in client.get(answer["Location"]).content.decode()
    assert SavedFilter.objects.filter(owner=world.secretariat).count() == 1


def test_the_way_back_to_the_queue_is_only_the_queues_own_query(client, world):
    request = submitted(world)
    client.force_login(world.secretariat)
    answer = client.post(
        url("portal:queue_assign", "en"),
        {"row": request.reference, "back": "state=submitted&page=2&x=\r\nSet-Cookie:%20a=b"},
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith("?state=submitted&page=2")
