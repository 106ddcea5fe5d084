"""The secretariat's queue: who handles a request (the flow's ``assigned`` unit), one request or many."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext
from engine.errors import EngineError
from engine.reasons import Reason

from .. import selectors
from ..models import DialogueRequest


def request_assign(
    *,
    request: DialogueRequest,
    actor: Any,
    assignee: Any,
    reason: str = "",
    context: RequestContext | None = None,
) -> DialogueRequest:
    """Give ``request`` to ``assignee`` (a user or an id): one audited, notified run of ``assigned``."""
    pk = getattr(assignee, "pk", assignee)
    engine.run(
        request,
        "assigned",
        actor=actor,
        data={"assignee": pk, "reason": (reason or "").strip()},
        context=context,
    )
    return request


@dataclass
class RowResult:
    """What happened to one request of a bulk action: done, or refused with the reasons."""

    reference: str
    title: str = ""
    done: bool = False
    reasons: list[str] = field(default_factory=list)


def _reasons(error: EngineError) -> list[str]:
    texts = [reason.text() for reason in error.reasons]
    if getattr(error, "errors", None):
        texts += [str(message) for messages in error.errors.values() for message in messages]
    return texts or [str(error.message)]


def requests_assign(
    *,
    references: list[str],
    actor: Any,
    assignee: Any,
    reason: str = "",
    context: RequestContext | None = None,
) -> list[RowResult]:
    """Assign each request in turn, each in its own unit run: a refusal on one leaves the others as they go.

    Requests the actor may not see are refused like any other row (and say nothing about themselves).
    """
    results = []
    wanted = list(dict.fromkeys(references))
    found = {row.reference: row for row in selectors.visible_requests(actor).filter(reference__in=wanted)}
    for reference in wanted:
        request = found.get(reference)
        if request is None:
            missing = Reason("not_found", _("No such request, or it is not visible to you."))
            results.append(RowResult(reference, reasons=[missing.text()]))
            continue
        try:
            request_assign(request=request, actor=actor, assignee=assignee, reason=reason, context=context)
        except EngineError as error:
            results.append(RowResult(reference, request.title, reasons=_reasons(error)))
        else:
            results.append(RowResult(reference, request.title, done=True))
    return results
