"""Votes and conflicts of interest: who may vote, once per round, and the engine deciding as soon as it can."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInput, NotPermitted, TransitionNotAllowedError
from engine.models import AuditEvent, OutboxMessage
from partners.models import CommitteeSeat
from workflows.partnership import services
from workflows.partnership.committee import tally
from workflows.partnership.errors import AlreadyDeclared, AlreadyVoted
from workflows.partnership.models import CommitteeRule, ConflictDeclaration, Vote

from .conftest import draft, walk

pytestmark = pytest.mark.django_db


def test_a_vote_is_audited_and_announced(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    vote = services.vote_cast(request=request, actor=w.gov[0], decision="reject", reason="Out of scope.")
    assert (vote.round, vote.side, vote.decision) == (1, "public", "reject")
    event = AuditEvent.objects.get(case_id=request.pk, action="vote_cast")
    assert (event.actor_id, event.actor_role, event.data["decision"], event.data["reason"]) == (
        w.gov[0].pk,
        "committee_member",
        "reject",
        "Out of scope.",
    )
    assert OutboxMessage.objects.filter(case_id=request.pk, event="vote_cast").exists()


def test_a_second_vote_in_the_same_round_is_a_conflict(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    services.vote_cast(request=request, actor=w.gov[0], decision="abstain")
    with pytest.raises(AlreadyVoted) as caught:
        services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    assert caught.value.code == "already_voted" and caught.value.as_dict()["code"] == "already_voted"
    assert Vote.objects.filter(request=request).count() == 1


def test_non_members_and_recused_members_may_not_vote(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    for outsider, code in ((w.secretariat, "not_committee_member"), (w.conflicted, "recused")):
        with pytest.raises(NotPermitted) as caught:
            services.vote_cast(request=request, actor=outsider, decision="approve")
        assert caught.value.reasons[0].code == code
    assert not Vote.objects.exists()


def test_a_reject_vote_needs_a_reason_and_a_known_choice(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    with pytest.raises(InvalidInput) as caught:
        services.vote_cast(request=request, actor=w.gov[0], decision="reject")
    assert list(caught.value.errors) == ["reason"]
    with pytest.raises(InvalidInput) as caught:
        services.vote_cast(request=request, actor=w.gov[0], decision="yes")
    assert list(caught.value.errors) == ["decision"]
    assert not Vote.objects.exists() and not AuditEvent.objects.filter(action="vote_cast").exists()


def test_voting_is_closed_outside_the_committee(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    with pytest.raises(TransitionNotAllowedError):
        services.vote_cast(request=request, actor=w.gov[0], decision="approve")


def test_a_declared_conflict_recuses_and_may_settle_the_decision(partnership_world):
    w = partnership_world
    request = walk(w, draft(w, by="ministry"), "in_committee")
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    services.vote_cast(request=request, actor=w.cso_seats[1], decision="approve")
    services.vote_cast(request=request, actor=w.gov[1], decision="reject", reason="Budget.")
    assert request.state == "in_committee"  # the chair's vote could still tie it
    # when the chair declares a conflict, the remaining votes settle it
    services.conflict_declare(request=request, actor=w.chair, reason="My brother chairs the CSO.")
    assert request.state == "approved"
    declaration = ConflictDeclaration.objects.get(request=request, member=w.chair)
    assert declaration.automatic is False
    actions = list(AuditEvent.objects.filter(case_id=request.pk).order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["conflict_declared", "approve"]


def test_conflict_declaration_needs_a_seat_and_a_reason(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    with pytest.raises(NotPermitted):
        services.conflict_declare(request=request, actor=w.cso_coordinator, reason="x")
    with pytest.raises(InvalidInput):
        services.conflict_declare(request=request, actor=w.gov[0], reason=" ")
    services.conflict_declare(request=request, actor=w.gov[0], reason="Former employer.")
    with pytest.raises(AlreadyDeclared) as caught:
        services.conflict_declare(request=request, actor=w.gov[0], reason="Again.")
    assert caught.value.code == "already_declared"
    services.request_accept(request=request, actor=w.secretariat)
    assert tally(request).recused == {w.gov[0].pk: "declared", w.conflicted.pk: "organization"}


def test_seat_representing_a_party_organization_is_recused(partnership_world):
    w = partnership_world
    CommitteeSeat.objects.filter(user=w.gov[1]).update(organization=w.ministry)
    request = walk(w, draft(w), "in_committee")
    assert set(tally(request).recused) == {w.conflicted.pk, w.gov[1].pk}
    assert ConflictDeclaration.objects.filter(request=request, automatic=True).count() == 2


def test_quorum_rule_is_configuration(partnership_world):
    w = partnership_world
    CommitteeRule.objects.update(quorum_ratio="1.00", require_each_side=False)
    request = walk(w, draft(w), "in_committee")
    # three approvals of four would settle it by majority, but the rule wants everyone to vote
    for member in (w.gov[0], w.gov[1], w.cso_seats[1]):
        services.vote_cast(request=request, actor=member, decision="approve")
    assert request.state == "in_committee"
    services.vote_cast(request=request, actor=w.chair, decision="abstain")
    assert request.state == "approved"
