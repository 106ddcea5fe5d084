"""Parties answering the minutes at the same moment: one answer per party, the clock told the truth."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from engine.audit import verify_all
from engine.errors import GuardFailed
from engine.models import SlaClock
from tests.concurrency import race
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest, MinutesConfirmation, MinutesCorrection

from .conftest import draft, walk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _open_clock(request):
    return SlaClock.objects.get(
        case_type=request.case_type(), case_id=request.pk, state="outcome_documented", stopped_at__isnull=True
    )


def test_both_parties_confirming_at_once_confirm_the_minutes_once(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "outcome_documented")
    people = [w.cso_coordinator, w.ministry_coordinator]

    def confirm(index: int) -> str:
        actor = get_user_model().objects.get(pk=people[index].pk)
        services.minutes_confirm(request=DialogueRequest.objects.get(pk=request.pk), actor=actor)
        return "confirmed"

    assert race(confirm, 2) == ["confirmed", "confirmed"]
    request.refresh_from_db()
    assert request.minutes_confirmed_at is not None  # the second one saw the first: complete
    assert MinutesConfirmation.objects.filter(outcome__request=request).count() == 2
    assert verify_all().ok


def test_an_objection_and_a_confirmation_at_once_are_answered_in_order(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "outcome_documented")

    def answer(index: int) -> str:
        fresh = DialogueRequest.objects.get(pk=request.pk)
        if index == 0:
            actor = get_user_model().objects.get(pk=w.cso_coordinator.pk)
            services.minutes_correction_request(request=fresh, actor=actor, correction="Paragraph 2 is wrong.")
            return "objected"
        actor = get_user_model().objects.get(pk=w.ministry_coordinator.pk)
        services.minutes_confirm(request=fresh, actor=actor)
        return "confirmed"

    outcomes = race(answer, 2)
    # the objection always lands; the confirmation lands only if it came first, else it waits for the answer
    assert outcomes[0] == "objected"
    if isinstance(outcomes[1], GuardFailed):
        assert [reason.code for reason in outcomes[1].reasons] == ["correction_pending"]
        assert not MinutesConfirmation.objects.exists()
    else:
        assert outcomes[1] == "confirmed"
    assert MinutesCorrection.objects.filter(status="pending").count() == 1
    assert _open_clock(request).paused
    assert verify_all().ok


def test_the_same_party_objecting_twice_at_once_objects_once(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "outcome_documented")

    def object_(_index: int) -> str:
        actor = get_user_model().objects.get(pk=w.cso_coordinator.pk)
        fresh = DialogueRequest.objects.get(pk=request.pk)
        services.minutes_correction_request(request=fresh, actor=actor, correction="Paragraph 2 is wrong.")
        return "objected"

    outcomes = race(object_, 3)
    kinds = Counter(type(o).__name__ if isinstance(o, Exception) else o for o in outcomes)
    assert kinds == {"objected": 1, "GuardFailed": 2}, outcomes
    assert MinutesCorrection.objects.count() == 1
    assert verify_all().ok
