"""Reads of restricted outcomes leave a trace on the request's chain."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext

from ..models import DialogueRequest, Outcome
from ..selectors import outcome_visible_to
from ._common import refuse


def outcome_read_restricted(
    *, request: DialogueRequest, actor: Any, context: RequestContext | None = None
) -> Outcome | None:
    """The outcome for ``actor``; reading a restricted one is audited (who, when), without notifying anyone."""
    try:
        outcome = request.outcome
    except Outcome.DoesNotExist:
        return None
    if not outcome_visible_to(request, actor):
        raise refuse("not_permitted", _("This outcome is restricted to the parties and the platform's oversight."))
    if outcome.visibility == Outcome.Visibility.RESTRICTED:
        engine.record(
            request, "restricted_read", actor=actor, data={"outcome": outcome.pk}, context=context, notify=False
        )
    return outcome
