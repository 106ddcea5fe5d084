"""Every way out of the main path: declined, rejected, appealed, withdrawn, lapsed, silent consent, reopened."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from engine import sla
from engine.audit import verify_all
from engine.errors import GuardFailed
from engine.models import AuditEvent, OutboxMessage, SlaClock
from workflows.partnership import services
from workflows.partnership.models import MinutesConfirmation, Vote

from .conftest import confirm_minutes, draft, travel, walk

pytestmark = pytest.mark.django_db


def last_event(request) -> AuditEvent:
    return AuditEvent.objects.filter(case_type=request.case_type(), case_id=request.pk).order_by("-seq").first()


def reject_by_committee(w, request) -> None:
    for member in (w.gov[0], w.gov[1], w.cso_seats[1]):
        services.vote_cast(request=request, actor=member, decision="reject", reason="Outside the platform's scope.")


def test_secretariat_declines_citing_a_charter_article(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    services.request_decline(request=request, actor=w.secretariat, reason="Not a public policy.", article="2")
    request.refresh_from_db()
    assert (request.state, request.decline_article, request.decline_reason) == ("declined", "2", "Not a public policy.")
    event = last_event(request)
    assert (event.action, event.data["article"], event.actor_role) == ("decline", "2", "secretariat")
    assert not SlaClock.objects.filter(case_id=request.pk, stopped_at__isnull=True).exists()
    assert verify_all().ok


def test_committee_rejects_once_the_reject_votes_settle_it(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    reject_by_committee(w, request)
    assert (request.state, request.decision) == ("rejected", "rejected")
    event = last_event(request)
    assert (event.action, event.actor_id, event.actor_role) == ("reject", None, "system")
    assert event.data["tally"] == {
        "round": 1,
        "eligible": 4,
        "voted": 3,
        "approve": 0,
        "reject": 3,
        "abstain": 0,
        "quorum_met": True,
        "outcome": "reject",
    }
    assert OutboxMessage.objects.filter(case_id=request.pk, event="reject").exists()


def test_requester_appeals_a_rejection_once_and_a_new_round_approves(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    reject_by_committee(w, request)
    # when the CSO appeals, voting reopens in round 2 and earlier votes no longer count
    services.request_appeal(request=request, actor=w.cso_coordinator, reason="New evidence from the courts.")
    assert (request.state, request.vote_round, request.appeal_used, request.decision) == ("in_committee", 2, True, "")
    for member in (w.gov[0], w.gov[1], w.cso_seats[1]):
        services.vote_cast(request=request, actor=member, decision="approve")
    assert request.state == "approved"
    assert Vote.objects.filter(request=request, round=1).count() == 3
    assert Vote.objects.filter(request=request, round=2).count() == 3
    assert verify_all().ok


def test_a_second_appeal_is_refused(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    reject_by_committee(w, request)
    services.request_appeal(request=request, actor=w.cso_coordinator, reason="New evidence.")
    reject_by_committee(w, request)
    with pytest.raises(GuardFailed) as refused:
        services.request_appeal(request=request, actor=w.cso_coordinator, reason="Again.")
    assert [(r.code, r.article) for r in refused.value.reasons] == [("appeal_used", "1")]
    request.refresh_from_db()
    assert request.state == "rejected"


def test_appeal_after_the_window_is_refused(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    reject_by_committee(w, request)
    with travel(timezone.now() + dt.timedelta(days=30)), pytest.raises(GuardFailed) as refused:
        services.request_appeal(request=request, actor=w.cso_coordinator, reason="Late.")
    assert refused.value.reasons[0].code == "appeal_window_closed"
    assert refused.value.reasons[0].params == {"days": 10}


@pytest.mark.parametrize("state", ["draft", "submitted", "in_committee", "approved", "meeting_scheduled"])
def test_requester_withdraws_any_time_before_the_meeting_is_held(partnership_world, state):
    w = partnership_world
    request = walk(w, draft(w, by="ministry"), state)
    services.request_withdraw(request=request, actor=w.ministry_coordinator, reason="Minister changed.")
    request.refresh_from_db()
    assert (request.state, request.withdraw_reason) == ("withdrawn", "Minister changed.")
    assert last_event(request).from_state == state
    assert not SlaClock.objects.filter(case_id=request.pk, stopped_at__isnull=True).exists()


def test_unanswered_information_request_lapses_on_the_sla_scan(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    services.request_info_request(request=request, actor=w.secretariat, message="Which courts?")
    # when ten business days pass without an answer
    result = sla.scan(at=timezone.now() + dt.timedelta(days=20))
    # then the engine lapses the request as the system
    request.refresh_from_db()
    assert request.state == "lapsed"
    assert result.transitioned == 1 and not result.errors
    event = last_event(request)
    assert (event.action, event.actor_id, event.from_state) == ("lapse", None, "info_requested")
    assert not SlaClock.objects.filter(case_id=request.pk, stopped_at__isnull=True).exists()
    assert verify_all().ok


def test_silence_confirms_the_minutes_after_the_confirmation_period(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "meeting_held")
    services.outcome_document(
        request=request,
        actor=w.secretariat,
        data={
            "minutes": "Minutes.",
            "summary": "Summary.",
            "recommendations": "Publish guidelines\nTrain judges",
            "what_changed": "x",
            "who_changed": "y",
            "significance": "z",
            "contribution": "c",
            "evidence": "e",
            "visibility": "public",
        },
    )
    # only the CSO confirms; the ministry stays silent
    services.minutes_confirm(request=request, actor=w.cso_coordinator)
    result = sla.scan(at=timezone.now() + dt.timedelta(days=15))
    request.refresh_from_db()
    assert result.transitioned == 1 and not result.errors
    assert request.minutes_confirmed_at is not None and request.published
    assert request.outcome.recommendations == ["Publish guidelines", "Train judges"]
    rows = {(c.organization_id, c.silent) for c in MinutesConfirmation.objects.filter(outcome__request=request)}
    assert rows == {(w.cso.pk, False), (w.ministry.pk, True)}
    event = last_event(request)
    assert (event.action, event.data["silent_organizations"]) == ("confirm_minutes_by_silence", [w.ministry.pk])
    # and the follow-up can start
    services.request_follow_up_start(request=request, actor=w.secretariat)
    assert request.state == "follow_up"
    assert verify_all().ok


def test_when_every_party_confirms_the_confirmation_clock_stops(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "outcome_documented")
    assert request.minutes_confirmed_at is None
    walk(w, request, "follow_up")
    confirmation_clock = SlaClock.objects.get(case_id=request.pk, state="outcome_documented")
    assert confirmation_clock.status == "stopped"
    # a later scan finds nothing to do for it
    assert sla.scan(at=timezone.now() + dt.timedelta(days=15)).transitioned == 0


@pytest.mark.parametrize(
    ("with_actions", "target", "expected"),
    [
        (True, "", "follow_up"),
        (False, "", "outcome_documented"),
        (False, "follow_up", "follow_up"),
    ],
)
def test_secretariat_reopens_a_closed_request(partnership_world, with_actions, target, expected):
    w = partnership_world
    request = walk(w, draft(w), "outcome_documented")
    confirm_minutes(w, request)
    if with_actions:
        services.action_item_create(
            request=request,
            actor=w.secretariat,
            description="Guidelines",
            owner_organization=w.ministry,
            due_date="2027-01-01",
        )
        walk(w, request, "follow_up")
    walk(w, request, "closed")
    services.request_reopen(request=request, actor=w.secretariat, reason="The ministry asked for more.", target=target)
    request.refresh_from_db()
    assert (request.state, request.closed_at) == (expected, None)
    assert (last_event(request).action, last_event(request).to_state) == ("reopen", expected)
    # minutes already confirmed: no second confirmation clock runs (silence would have nothing to consent to)
    running = SlaClock.objects.filter(case_id=request.pk, state="outcome_documented", stopped_at__isnull=True)
    assert not running.exists()
    assert verify_all().ok
