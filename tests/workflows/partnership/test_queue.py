"""The secretariat's queue in the domain: assigning (audited, notified, refused in words), the urgency
order, and "waiting for me" per role."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from engine import calendar
from engine.errors import GuardFailed, InvalidInput, NotPermitted, TransitionNotAllowedError
from engine.models import AuditEvent, OutboxMessage, SlaClock
from engine.snapshot import take
from portal.queue import time_left
from workflows.partnership import selectors, services
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import DialogueRequest

from .conftest import draft, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(partnership_world):
    return partnership_world


def submitted(world, title="A request"):
    return walk(world, draft(world, title=title), "submitted")


# --- assigning ---------------------------------------------------------------------------------


def test_assigning_is_an_audited_notified_unit(world, django_capture_on_commit_callbacks):
    # given: a submitted request nobody handles
    request = submitted(world)
    # when: the lead gives it to an officer, with a reason
    with django_capture_on_commit_callbacks(execute=True):
        services.request_assign(
            request=request, actor=world.secretariat_lead, assignee=world.secretariat, reason="Her file"
        )
    # then: the request is hers, the event says who, from whom and why
    request.refresh_from_db()
    assert request.assignee == world.secretariat
    event = AuditEvent.objects.filter(case_id=request.pk, action="assigned").get()
    assert event.actor == world.secretariat_lead
    assert event.data["assignee"] == world.secretariat.pk
    assert event.data["previous"] is None
    assert event.data["reason"] == "Her file"
    assert event.data["assigned_to"] == (world.secretariat.get_full_name() or world.secretariat.username)
    assert event.snapshot["case"]["assignee"] == world.secretariat.pk
    # and: the new assignee is told, with the assignment's own words
    told = OutboxMessage.objects.filter(case_id=request.pk, event="assigned", recipient__isnull=False)
    assert {(row.recipient_id, row.payload.get("kind")) for row in told} >= {(world.secretariat.pk, "request_assigned")}
    assert not told.exclude(recipient=world.secretariat).exists()


def test_reassigning_records_the_previous_officer(world):
    request = submitted(world)
    services.request_assign(request=request, actor=world.secretariat, assignee=world.secretariat)
    services.request_assign(request=request, actor=world.secretariat, assignee=world.secretariat_lead, reason="Leave")
    event = AuditEvent.objects.filter(case_id=request.pk, action="assigned").order_by("-seq").first()
    assert event.data["previous"] == world.secretariat.pk
    assert DialogueRequest.objects.get(pk=request.pk).assignee == world.secretariat_lead


@pytest.mark.parametrize("who", ["cso_coordinator", "chair", "auditor"])
def test_only_the_secretariat_assigns(world, who):
    request = submitted(world)
    with pytest.raises(NotPermitted) as refused:
        services.request_assign(request=request, actor=getattr(world, who), assignee=world.secretariat)
    assert refused.value.reasons[0].code == "not_permitted"
    with translation.override("ar"):
        assert refused.value.reasons[0].text() != "Only the secretariat may do this."
    assert DialogueRequest.objects.get(pk=request.pk).assignee is None
    assert not AuditEvent.objects.filter(case_id=request.pk, action="assigned").exists()


def test_a_request_goes_only_to_an_officer_of_the_secretariat(world):
    request = submitted(world)
    with pytest.raises(InvalidInput) as refused:
        services.request_assign(request=request, actor=world.secretariat, assignee=world.cso_coordinator)
    assert "assignee" in refused.value.errors
    with pytest.raises(InvalidInput):
        services.request_assign(request=request, actor=world.secretariat, assignee="nobody")
    assert DialogueRequest.objects.get(pk=request.pk).assignee is None


def test_assigning_twice_to_the_same_officer_is_refused_in_words(world):
    request = submitted(world)
    services.request_assign(request=request, actor=world.secretariat, assignee=world.secretariat)
    with pytest.raises(GuardFailed) as refused:
        services.request_assign(request=request, actor=world.secretariat, assignee=world.secretariat)
    assert refused.value.reasons[0].code == "already_assigned"
    assert AuditEvent.objects.filter(case_id=request.pk, action="assigned").count() == 1


def test_a_finished_request_is_not_assigned(world):
    request = submitted(world)
    services.request_withdraw(request=request, actor=world.cso_coordinator, reason="No longer needed")
    with pytest.raises(TransitionNotAllowedError):
        services.request_assign(request=request, actor=world.secretariat, assignee=world.secretariat)


def test_the_assignee_is_held_to_the_audit_trail(world):
    # given: an assigned request, then the assignee changed behind the engine's back
    request = submitted(world)
    services.request_assign(request=request, actor=world.secretariat, assignee=world.secretariat)
    DialogueRequest.objects.filter(pk=request.pk).update(assignee=world.secretariat_lead)
    # then: audit_verify names it
    with pytest.raises(SystemExit):
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())


def test_requests_never_assigned_keep_the_snapshot_of_their_earlier_events(world):
    # A field audited only since the queue: absent from the snapshot while empty, so chains written
    # before it still verify; present once set.
    request = submitted(world)
    assert "assignee" not in take(request, RequestFlow)["case"]
    call_command("audit_verify", stdout=StringIO())
    request.assignee = world.secretariat
    assert take(request, RequestFlow)["case"]["assignee"] == world.secretariat.pk


def test_bulk_assignment_runs_one_unit_per_row_and_says_what_happened(world):
    # given: one request free, one already mine, one withdrawn, one that does not exist
    free, mine, gone = submitted(world, "Free"), submitted(world, "Mine"), submitted(world, "Gone")
    services.request_assign(request=mine, actor=world.secretariat, assignee=world.secretariat)
    services.request_withdraw(request=gone, actor=world.cso_coordinator, reason="Not needed")
    before = AuditEvent.objects.filter(action="assigned").count()
    # when
    results = services.requests_assign(
        references=[free.reference, mine.reference, gone.reference, "DR-1999-0001"],
        actor=world.secretariat,
        assignee=world.secretariat,
    )
    # then: one done, three refused with their reasons, one event written
    assert [(row.reference, row.done) for row in results] == [
        (free.reference, True),
        (mine.reference, False),
        (gone.reference, False),
        ("DR-1999-0001", False),
    ]
    assert results[1].reasons == ["This request is already assigned to you."]
    assert results[2].reasons == ["This action is not possible in the case's current state."]
    assert results[3].reasons == ["No such request, or it is not visible to you."]
    assert AuditEvent.objects.filter(action="assigned").count() == before + 1
    assert DialogueRequest.objects.get(pk=gone.pk).assignee is None


def test_bulk_assignment_by_someone_outside_the_secretariat_changes_nothing(world):
    request = submitted(world)
    results = services.requests_assign(references=[request.reference], actor=world.chair, assignee=world.chair)
    assert not results[0].done
    assert results[0].reasons == ["Only the secretariat may do this."]
    assert DialogueRequest.objects.get(pk=request.pk).assignee is None


# --- the urgency order -------------------------------------------------------------------------


def _clock(request):
    return SlaClock.objects.get(case_id=request.pk, state=request.state, stopped_at__isnull=True)


def test_the_queue_sorts_breached_then_time_left_then_paused_then_no_clock(world):
    now = timezone.now()
    made = {name: submitted(world, name) for name in ("late", "later", "soon", "far", "paused", "none-b", "none-a")}
    # breached by the scan three days ago; past its deadline an hour ago (not yet scanned)
    SlaClock.objects.filter(pk=_clock(made["late"]).pk).update(
        due_at=now - dt.timedelta(days=3), status="breached", breached_at=now - dt.timedelta(days=3)
    )
    SlaClock.objects.filter(pk=_clock(made["later"]).pk).update(due_at=now - dt.timedelta(hours=1))
    SlaClock.objects.filter(pk=_clock(made["soon"]).pk).update(due_at=now + dt.timedelta(days=1))
    SlaClock.objects.filter(pk=_clock(made["far"]).pk).update(due_at=now + dt.timedelta(days=6))
    SlaClock.objects.filter(pk=_clock(made["paused"]).pk).update(paused_at=now, due_at=None)
    SlaClock.objects.filter(case_id__in=[made["none-a"].pk, made["none-b"].pk]).delete()
    # when
    rows = list(selectors.by_urgency(selectors.with_urgency(DialogueRequest.objects.all(), now)))
    # then: no-clock ties fall back to the reference (none-b was made first)
    assert [row.title for row in rows] == ["late", "later", "soon", "far", "paused", "none-b", "none-a"]
    assert [row.urgency for row in rows] == [0, 0, 1, 1, 2, 3, 3]
    # and the queue's pages (one join of the open clocks) keep the same order, slice by slice
    pages = selectors.UrgentFirst(DialogueRequest.objects.all(), now)
    assert pages.count() == 7
    assert [row.title for row in [*pages[0:3], *pages[3:7]]] == [row.title for row in rows]
    assert pages[0:3][0].urgency == 0


# --- time left, in business days ---------------------------------------------------------------


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=calendar.local_zone())


FRIDAY = dt.date(2027, 10, 8)
MONDAY, TUESDAY, THURSDAY = dt.date(2027, 10, 11), dt.date(2027, 10, 12), dt.date(2027, 10, 7)


@pytest.mark.parametrize(
    ("now", "due", "english", "arabic"),
    [
        (_at(FRIDAY), calendar.end_of_workday(MONDAY), "1 business day left", "يوم عمل واحد متبقٍّ"),
        (_at(FRIDAY), calendar.end_of_workday(TUESDAY), "2 business days left", "يوما عمل متبقيان"),
        (_at(FRIDAY), calendar.end_of_workday(FRIDAY), "Due today", "مستحق اليوم"),
        (_at(MONDAY), calendar.end_of_workday(THURSDAY), "2 business days overdue", "متأخر يومَي عمل"),
        (_at(TUESDAY), calendar.end_of_workday(THURSDAY), "3 business days overdue", "متأخر 3 أيام عمل"),
        (_at(FRIDAY, 18), calendar.end_of_workday(FRIDAY), "Overdue since today", "متأخر منذ اليوم"),
    ],
)
def test_time_left_is_counted_on_the_business_calendar(now, due, english, arabic):
    with translation.override("en"):
        assert time_left(due, now=now).text == english
    with translation.override("ar"):
        assert time_left(due, now=now).text == arabic


def test_a_paused_clock_says_so_with_what_it_will_have_left():
    with translation.override("en"):
        shown = time_left(None, paused=True, left_seconds=calendar.workday_seconds() * 3)
    assert shown.kind == "paused"
    assert shown.text == "Paused: 3 business days left when it resumes"


# --- waiting for me, per role ------------------------------------------------------------------


def _waiting(user):
    return set(selectors.waiting_for(user).values_list("reference", flat=True))


def test_waiting_for_the_secretariat_is_what_is_assigned_to_them_while_the_turn_is_theirs(world):
    mine, other = submitted(world, "Mine"), submitted(world, "Other")
    services.request_assign(request=mine, actor=world.secretariat, assignee=world.secretariat)
    assert _waiting(world.secretariat) == {mine.reference}
    assert selectors.waiting_reason(mine, world.secretariat) == "assigned"
    assert selectors.waiting_reason(other, world.secretariat) == ""
    # when the requester has the turn, it no longer waits for the officer
    services.request_info_request(request=mine, actor=world.secretariat, message="Which courts?")
    assert _waiting(world.secretariat) == set()


def test_waiting_for_a_committee_member_is_their_pending_vote(world):
    voting = walk(world, draft(world), "in_committee")
    assert voting.reference in _waiting(world.gov[0])
    assert selectors.waiting_reason(voting, world.gov[0]) == "vote"
    services.vote_cast(request=voting, actor=world.gov[0], decision="approve")
    assert voting.reference not in _waiting(world.gov[0])
    # a member with a conflict (a member of the requesting organization) is not waited for
    assert voting.reference not in _waiting(world.cso_seats[0])


def test_waiting_for_the_requester_when_the_secretariat_asks_them(world):
    request = submitted(world)
    assert request.reference not in _waiting(world.cso_coordinator)
    services.request_info_request(request=request, actor=world.secretariat, message="Which courts?")
    assert _waiting(world.cso_coordinator) == {request.reference}
    assert request.reference not in _waiting(world.ministry_coordinator)


def test_waiting_for_each_party_until_it_has_confirmed_the_minutes(world):
    request = walk(world, draft(world), "outcome_documented")
    assert request.reference in _waiting(world.ministry_coordinator)
    assert request.reference in _waiting(world.cso_coordinator)
    services.minutes_confirm(request=request, actor=world.ministry_coordinator)
    assert request.reference not in _waiting(world.ministry_coordinator)
    assert request.reference in _waiting(world.cso_coordinator)
    assert request.reference not in _waiting(world.other_cso_coordinator)


def test_the_api_shows_the_assignee_read_only(world, client):
    from rest_framework.test import APIClient

    request = submitted(world)
    api = APIClient()
    api.force_authenticate(world.secretariat)
    answer = api.get(f"/api/v1/requests/{request.reference}/")
    assert answer.status_code == 200
    assert answer.json()["assignee"] is None
    services.request_assign(request=request, actor=world.secretariat, assignee=world.secretariat)
    listed = api.get("/api/v1/requests/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {row["reference"]: row["assignee"] for row in rows}[request.reference] == world.secretariat.username
