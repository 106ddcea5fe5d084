"""The committee's arithmetic: who may vote on a request, who is recused, and whether the votes settle it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from partners.models import CommitteeSeat, Membership

from .models import CommitteeRule, ConflictDeclaration, DialogueRequest, Vote

APPROVE, REJECT, TIE = "approve", "reject", "tie"


def party_organization_ids(request: DialogueRequest) -> set[int]:
    """The requesting organization and every counterpart (cached on the instance)."""
    cached = getattr(request, "_party_ids", None)
    if cached is None:
        cached = {request.requesting_organization_id, *counterpart_ids(request)}
        request._party_ids = cached
    return cached


def counterpart_ids(request: DialogueRequest) -> set[int]:
    cached = getattr(request, "_counterpart_ids", None)
    if cached is None:
        if "counterpart_organizations" in getattr(request, "_prefetched_objects_cache", {}):
            cached = {org.pk for org in request.counterpart_organizations.all()}
        else:
            cached = set(request.counterpart_organizations.values_list("pk", flat=True))
        request._counterpart_ids = cached
    return cached


def forget_parties(request: DialogueRequest) -> None:
    for attr in ("_party_ids", "_counterpart_ids"):
        if hasattr(request, attr):
            delattr(request, attr)


@dataclass
class Tally:
    """The votes of the current round counted against the rule in force."""

    round: int
    rule: CommitteeRule
    eligible: dict[int, str] = field(default_factory=dict)
    recused: dict[int, str] = field(default_factory=dict)
    votes: list[Vote] = field(default_factory=list)

    @property
    def approve(self) -> int:
        return sum(1 for vote in self.votes if vote.decision == Vote.Choice.APPROVE)

    @property
    def reject(self) -> int:
        return sum(1 for vote in self.votes if vote.decision == Vote.Choice.REJECT)

    @property
    def abstain(self) -> int:
        return sum(1 for vote in self.votes if vote.decision == Vote.Choice.ABSTAIN)

    @property
    def voted(self) -> int:
        return len(self.votes)

    @property
    def remaining(self) -> int:
        return max(0, len(self.eligible) - self.voted)

    @property
    def sides_voted(self) -> set[str]:
        return {vote.side for vote in self.votes}

    @property
    def quorum_met(self) -> bool:
        if not self.eligible or self.voted == 0:
            return False
        if Decimal(self.voted) < self.rule.quorum_ratio * len(self.eligible):
            return False
        if self.rule.require_each_side and not {"public", "civil"} <= self.sides_voted:
            return False
        return True

    @property
    def outcome(self) -> str | None:
        """approve / reject once the remaining votes cannot change it, tie when all voted evenly."""
        if not self.quorum_met:
            return None
        approve, reject, remaining = self.approve, self.reject, self.remaining
        if approve > reject + remaining:
            return APPROVE
        if reject > approve + remaining:
            return REJECT
        if remaining == 0:
            return TIE
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "eligible": len(self.eligible),
            "voted": self.voted,
            "approve": self.approve,
            "reject": self.reject,
            "abstain": self.abstain,
            "quorum_met": self.quorum_met,
            "outcome": self.outcome,
        }


def recusals(request: DialogueRequest, seats: list[CommitteeSeat] | None = None) -> dict[int, str]:
    """Seat holders recused from ``request``: user id → ``declared`` or ``organization``."""
    if seats is None:
        seats = list(CommitteeSeat.objects.filter(active=True))
    parties = party_organization_ids(request)
    seat_users = [seat.user_id for seat in seats]
    recused: dict[int, str] = {}
    for seat in seats:
        if seat.organization_id in parties:
            recused[seat.user_id] = "organization"
    # Belonging to a party organization is a conflict, whatever seat the person holds.
    for user_id in Membership.objects.filter(
        user_id__in=seat_users, organization_id__in=parties, active=True
    ).values_list("user_id", flat=True):
        recused[user_id] = "organization"
    for user_id in ConflictDeclaration.objects.filter(request=request).values_list("member_id", flat=True):
        recused.setdefault(user_id, "declared")
    return recused


def tally(request: DialogueRequest) -> Tally:
    """Count the current round's votes of eligible (active, not recused) members."""
    seats = list(CommitteeSeat.objects.filter(active=True))
    recused = recusals(request, seats)
    result = Tally(round=request.vote_round, rule=CommitteeRule.current(), recused=recused)
    result.eligible = {seat.user_id: seat.side for seat in seats if seat.user_id not in recused}
    result.votes = [
        vote
        for vote in Vote.objects.filter(request=request, round=request.vote_round)
        if vote.member_id in result.eligible
    ]
    return result


def is_recused(request: DialogueRequest, user: Any) -> bool:
    return user.pk in recusals(request)
