"""Votes and conflict declarations of committee members; the engine decides as soon as votes settle it."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext
from engine.errors import InvalidInput, TransitionNotAllowedError
from partners import charter
from partners.selectors import user_access

from .. import committee, flows
from ..errors import AlreadyDeclared, AlreadyVoted
from ..models import ConflictDeclaration, DialogueRequest, Vote
from ._common import refuse

CONFLICT_STATES = (flows.SUBMITTED, flows.INFO_REQUESTED, flows.IN_COMMITTEE)


def _seat_or_refuse(actor: Any) -> Any:
    seat = user_access(actor).seat
    if seat is None:
        raise refuse("not_committee_member", _("Only members of the coordination committee may do this."))
    return seat


def vote_cast(
    *,
    request: DialogueRequest,
    actor: Any,
    decision: str,
    reason: str = "",
    context: RequestContext | None = None,
) -> Vote:
    """Record a member's vote in the current round, then let the engine decide if the votes settle it."""
    decision = (decision or "").strip()
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = engine.lock(request)
        if locked.state != flows.IN_COMMITTEE:
            raise TransitionNotAllowedError(_("Voting is open only while the request is before the committee."))
        seat = _seat_or_refuse(actor)
        if actor.pk in committee.recusals(locked):
            raise refuse(
                "recused",
                _("You are recused from this request because of a conflict of interest."),
                article=charter.INDEPENDENCE,
            )
        errors: dict[str, list[str]] = {}
        if decision not in Vote.Choice.values:
            errors["decision"] = [str(_("Choose approve, reject or abstain."))]
        if decision == Vote.Choice.REJECT and not reason:
            errors["reason"] = [str(_("A vote to reject must give a reason (charter article 5)."))]
        if len(reason) > 2000:
            errors["reason"] = [str(_("The reason can have at most 2000 characters."))]
        if errors:
            raise InvalidInput(errors)
        if Vote.objects.filter(request=locked, member=actor, round=locked.vote_round).exists():
            raise AlreadyVoted()
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    request=locked,
                    member=actor,
                    side=seat.side,
                    round=locked.vote_round,
                    decision=decision,
                    reason=reason,
                    cast_at=timezone.now(),
                )
        except IntegrityError as exc:
            raise AlreadyVoted() from exc
        engine.record(
            locked,
            "vote_cast",
            actor=actor,
            actor_role="committee_member",
            data={"decision": decision, "reason": reason, "round": locked.vote_round, "side": seat.side},
            context=context,
        )
        committee_settle(request=locked)
    request.refresh_from_db()
    committee.forget_parties(request)
    return vote


def conflict_declare(
    *, request: DialogueRequest, actor: Any, reason: str, context: RequestContext | None = None
) -> ConflictDeclaration:
    """A committee member recuses themself; their vote in the current round, if any, no longer counts."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = engine.lock(request)
        if locked.state not in CONFLICT_STATES:
            raise TransitionNotAllowedError(_("Conflicts are declared while the request is before the committee."))
        _seat_or_refuse(actor)
        if not reason:
            raise InvalidInput({"reason": [str(_("Say briefly why you have a conflict of interest."))]})
        if len(reason) > 2000:
            raise InvalidInput({"reason": [str(_("The reason can have at most 2000 characters."))]})
        if ConflictDeclaration.objects.filter(request=locked, member=actor).exists():
            raise AlreadyDeclared()
        declaration = ConflictDeclaration.objects.create(
            request=locked, member=actor, reason=reason, automatic=False, declared_at=timezone.now()
        )
        engine.record(
            locked,
            "conflict_declared",
            actor=actor,
            actor_role="committee_member",
            data={"member": actor.pk, "reason": reason, "automatic": False},
            context=context,
        )
        if locked.state == flows.IN_COMMITTEE:
            committee_settle(request=locked)
    request.refresh_from_db()
    committee.forget_parties(request)
    return declaration


def committee_settle(*, request: DialogueRequest) -> str | None:
    """Approve or reject as the system when the votes settle it; tell the chair about a tie. Returns the outcome."""
    tally = committee.tally(request)
    outcome = tally.outcome
    if outcome == committee.APPROVE:
        engine.run(request, "approve", actor=None)
    elif outcome == committee.REJECT:
        engine.run(request, "reject", actor=None)
    elif outcome == committee.TIE:
        engine.record(request, "committee_tied", actor=None, actor_role="system", data=tally.as_dict())
    return outcome
