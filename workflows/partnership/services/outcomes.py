"""Reads of restricted outcomes are written to the access log (who, when, from where), never to the case."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext

from ..models import DialogueRequest, Outcome
from ..selectors import outcome_visible_to, reader_role
from ._common import refuse


def outcome_read_restricted(
    *, request: DialogueRequest, actor: Any, context: RequestContext | None = None
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
        engine.record_read(
            request, actor=actor, what="outcome", actor_role=reader_role(actor, request), context=context
        )
    return outcome
