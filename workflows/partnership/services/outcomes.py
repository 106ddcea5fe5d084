"""Reads of restricted outcomes are written to the access log (who, when, from where), never to the case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext

from ..models import DialogueRequest, Meeting, MinutesCorrection, Outcome
from ..selectors import outcome_visible_to, reader_role
from ._common import refuse


def outcome_read_restricted(
    *, request: DialogueRequest, actor: Any, context: RequestContext | None = None, what: str = "outcome"
) -> Outcome | None:
    """The outcome for ``actor``; reading a restricted one is logged (who, when), without notifying anyone.

    A read is a GET: it goes to the access log (``engine.access_log``), a hash chain of its own; the
    request's row is neither locked nor changed and its audit chain does not grow.
    """
    try:
        outcome = request.outcome
    except Outcome.DoesNotExist:
        return None
    if not outcome_visible_to(request, actor):
        raise refuse("not_permitted", _("This outcome is restricted to the parties and the platform's oversight."))
    if outcome.visibility == Outcome.Visibility.RESTRICTED:
        engine.record_read(request, actor=actor, what=what, actor_role=reader_role(actor, request), context=context)
    return outcome


@dataclass
class MinutesToRead:
    """What a party reads before confirming or objecting: the outcome's minutes and each session's."""

    outcome: Outcome
    #: the held sessions of a series (empty for a lone meeting, whose minutes are the outcome's)
    sessions: list[Meeting] = field(default_factory=list)
    #: every correction requested on these minutes, oldest first, with the secretariat's answers
    corrections: list[MinutesCorrection] = field(default_factory=list)


def minutes_read(
    *, request: DialogueRequest, actor: Any, context: RequestContext | None = None
) -> MinutesToRead | None:
    """The minutes for ``actor`` where they confirm, object or revise; a restricted outcome's read is logged."""
    outcome = outcome_read_restricted(request=request, actor=actor, context=context, what="minutes")
    if outcome is None:
        return None
    held = list(Meeting.objects.filter(request=request, status=Meeting.Status.HELD).order_by("number", "id"))
    corrections = outcome.corrections.select_related("organization", "requested_by", "answered_by")
    return MinutesToRead(outcome=outcome, sessions=held if len(held) > 1 else [], corrections=list(corrections))
