"""Committee members voting at the same moment: one vote each, one decision, a verified history."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from engine.audit import verify_all
from engine.models import AuditEvent
from tests.concurrency import race
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest, Vote

from .conftest import draft, walk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_member_voting_twice_at_once_counts_once(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")

    def vote(_index: int) -> str:
        member = get_user_model().objects.get(pk=w.gov[0].pk)
        services.vote_cast(request=DialogueRequest.objects.get(pk=request.pk), actor=member, decision="approve")
        return "voted"

    outcomes = race(vote, 4)
    kinds = Counter(type(o).__name__ if isinstance(o, Exception) else o for o in outcomes)
    assert kinds == {"voted": 1, "AlreadyVoted": 3}, outcomes
    assert Vote.objects.filter(request=request).count() == 1
    assert verify_all().ok


def test_the_deciding_votes_arriving_together_decide_once(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    members = [w.gov[0], w.gov[1], w.cso_seats[1], w.chair]

    def vote(index: int) -> str:
        member = get_user_model().objects.get(pk=members[index].pk)
        services.vote_cast(request=DialogueRequest.objects.get(pk=request.pk), actor=member, decision="approve")
        return "voted"

    outcomes = race(vote, len(members))
    request.refresh_from_db()
    # the votes after the decision find voting closed; exactly one approval is recorded
    assert request.state == "approved"
    assert AuditEvent.objects.filter(case_id=request.pk, action="approve").count() == 1
    assert Counter(type(o).__name__ if isinstance(o, Exception) else o for o in outcomes)["voted"] >= 3
    assert verify_all().ok
