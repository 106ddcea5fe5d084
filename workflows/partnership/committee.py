"""The committee's arithmetic: who may vote on a request, who is recused, and whether the votes settle it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from partners.models import CommitteeSeat, Membership

from .models import CommitteeRule, ConflictDeclaration, DialogueRequest, SeatAbsence, Vote

APPROVE, REJECT, TIE = "approve", "reject", "tie"
SIDES = ("public", "civil")


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


@dataclass(frozen=True)
class Sitting:
    """Who votes in a seat on a request: its member, or the seat's alternate when the member is recused."""

    user_id: int
    seat: CommitteeSeat
    alternate_for: int | None = None

    @property
    def side(self) -> str:
        return self.seat.side


@dataclass
class Composition:
    """The committee as it sits on one request on one day: terms, recusals and alternates applied."""

    day: date
    rule: CommitteeRule
    seats: list[CommitteeSeat] = field(default_factory=list)
    sitting: dict[int, Sitting] = field(default_factory=dict)
    recused: dict[int, str] = field(default_factory=dict)
    absent: set[int] = field(default_factory=set)
    out_of_term: dict[int, CommitteeSeat] = field(default_factory=dict)

    @property
    def empty_sides(self) -> list[str]:
        """Sides with no eligible member, even after alternates."""
        present = {sitting.side for sitting in self.sitting.values()}
        return [side for side in SIDES if side not in present]

    @property
    def sides_satisfied_by_rule(self) -> list[str]:
        if self.rule.empty_side_rule == CommitteeRule.EmptySideRule.COUNT_SIDE_SATISFIED:
            return self.empty_sides
        return []

    def casting_voter(self) -> tuple[int, str] | None:
        """Who casts the deciding vote on a tie: the chair, or the deputy chair when the chair cannot."""
        for attribute, role in (("is_chair", "chair"), ("is_deputy_chair", "deputy_chair")):
            for seat in self.seats:
                if (
                    getattr(seat, attribute)
                    and seat.in_term(self.day)
                    and seat.user_id not in self.recused
                    and seat.user_id not in self.absent
                ):
                    return seat.user_id, role
        return None


def rule_label(rule: CommitteeRule) -> Any:
    """The configured rule for a side with no eligible member, as a lazy translation (shown in the reader's language)."""
    return dict(CommitteeRule.EmptySideRule.choices).get(rule.empty_side_rule, rule.empty_side_rule)


def governance_day(at: datetime | None = None) -> date:
    return timezone.localdate(at or timezone.now())


def active_seats() -> list[CommitteeSeat]:
    return list(CommitteeSeat.objects.filter(active=True))


def composition(request: DialogueRequest, at: datetime | None = None) -> Composition:
    """Seats in term on ``at``'s day, each filled by its member or, when the member is recused or absent, its alternate."""
    seats = active_seats()
    result = Composition(day=governance_day(at), rule=CommitteeRule.current(), seats=seats)
    result.recused = recusals(request, seats)
    result.absent = set(SeatAbsence.objects.filter(request=request).values_list("member_id", flat=True))
    away = result.recused.keys() | result.absent
    for seat in seats:
        if not seat.in_term(result.day):
            result.out_of_term[seat.user_id] = seat
            continue
        if seat.user_id not in away:
            result.sitting.setdefault(seat.user_id, Sitting(seat.user_id, seat))
    for seat in seats:
        holder = seat.user_id
        alternate = seat.alternate_id
        if holder not in away or not seat.in_term(result.day) or alternate is None:
            continue
        if alternate in away or alternate in result.sitting:
            continue
        result.sitting[alternate] = Sitting(alternate, seat, alternate_for=holder)
    return result


@dataclass
class Tally:
    """The votes of the current round counted against the rule in force."""

    round: int
    rule: CommitteeRule
    eligible: dict[int, str] = field(default_factory=dict)
    recused: dict[int, str] = field(default_factory=dict)
    votes: list[Vote] = field(default_factory=list)
    empty_sides: list[str] = field(default_factory=list)
    sides_satisfied_by_rule: list[str] = field(default_factory=list)
    alternates: dict[int, int] = field(default_factory=dict)

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
        if self.rule.require_each_side and not set(SIDES) <= self.sides_voted | set(self.sides_satisfied_by_rule):
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
        data: dict[str, Any] = {
            "round": self.round,
            "eligible": len(self.eligible),
            "voted": self.voted,
            "approve": self.approve,
            "reject": self.reject,
            "abstain": self.abstain,
            "quorum_met": self.quorum_met,
            "outcome": self.outcome,
        }
        if self.alternates:
            data["alternates"] = {str(alternate): holder for alternate, holder in sorted(self.alternates.items())}
        if self.empty_sides:
            # The charter-backed rule that applied, recorded with the decision it allowed (or not).
            data["empty_sides"] = list(self.empty_sides)
            data["empty_side_rule"] = self.rule.empty_side_rule
            data["empty_side_article"] = self.rule.empty_side_article
            data["sides_satisfied_by_rule"] = list(self.sides_satisfied_by_rule)
        return data


def recusals(request: DialogueRequest, seats: list[CommitteeSeat] | None = None) -> dict[int, str]:
    """Seat holders and alternates recused from ``request``: user id → ``declared`` or ``organization``."""
    if seats is None:
        seats = active_seats()
    parties = party_organization_ids(request)
    seat_users = {seat.user_id for seat in seats} | {seat.alternate_id for seat in seats if seat.alternate_id}
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


def tally(request: DialogueRequest, at: datetime | None = None) -> Tally:
    """Count the current round's votes of the members sitting on the request (in term, not recused, alternates)."""
    sits = composition(request, at)
    result = Tally(round=request.vote_round, rule=sits.rule, recused=sits.recused)
    result.eligible = {user_id: sitting.side for user_id, sitting in sits.sitting.items()}
    result.alternates = {
        user_id: sitting.alternate_for for user_id, sitting in sits.sitting.items() if sitting.alternate_for
    }
    result.empty_sides = sits.empty_sides
    result.sides_satisfied_by_rule = sits.sides_satisfied_by_rule
    result.votes = [
        vote
        for vote in Vote.objects.filter(request=request, round=request.vote_round)
        if vote.member_id in result.eligible
    ]
    return result


def is_recused(request: DialogueRequest, user: Any) -> bool:
    return user.pk in recusals(request)
