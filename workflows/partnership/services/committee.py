"""Votes and conflict declarations of committee members; the engine decides as soon as votes settle it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

import engine
from engine.audit import RequestContext

from .. import committee, flows
from ..models import ConflictDeclaration, DialogueRequest, Vote


def vote_cast(
    *,
    request: DialogueRequest,
    actor: Any,
    decision: str,
    reason: str = "",
    context: RequestContext | None = None,
) -> Vote:
    """Record a member's vote in the current round (the flow's ``vote_cast``), then settle if the votes do."""
    with transaction.atomic():
        engine.run(
            request,
            "vote_cast",
            actor=actor,
            data={"decision": (decision or "").strip(), "reason": (reason or "").strip()},
            context=context,
        )
        committee_settle(request=request)
    request.refresh_from_db()
    committee.forget_parties(request)
    return Vote.objects.get(request=request, member=actor, round=request.vote_round)


def conflict_declare(
    *, request: DialogueRequest, actor: Any, reason: str, context: RequestContext | None = None
) -> ConflictDeclaration:
    """A committee member recuses themself (the flow's ``conflict_declared``); their vote no longer counts."""
    with transaction.atomic():
        engine.run(request, "conflict_declared", actor=actor, data={"reason": reason or ""}, context=context)
        committee.forget_parties(request)
        if request.state == flows.IN_COMMITTEE:
            committee_settle(request=request)
    request.refresh_from_db()
    committee.forget_parties(request)
    return ConflictDeclaration.objects.get(request=request, member=actor)


def absence_declare(
    *, request: DialogueRequest, actor: Any, reason: str, context: RequestContext | None = None
) -> None:
    """A sitting member stands aside on this request (the flow's ``absence_declared``); the alternate sits."""
    with transaction.atomic():
        engine.run(request, "absence_declared", actor=actor, data={"reason": reason or ""}, context=context)
        committee_settle(request=request)
    request.refresh_from_db()
    committee.forget_parties(request)


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
