"""Searching requests and their audit history: filters over the domain's visibility selector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from engine.models import AuditEvent
from textsearch import index as textsearch
from workflows.partnership import selectors
from workflows.partnership.models import DialogueRequest


@dataclass
class RequestFilters:
    q: str = ""
    state: str = ""
    theme: str = ""
    side: str = ""

    @classmethod
    def from_query(cls, params: Any) -> RequestFilters:
        return cls(
            q=params.get("q", "").strip()[:200],
            state=params.get("state", "").strip()[:40],
            theme=params.get("theme", "").strip()[:40],
            side=params.get("side", "").strip()[:10],
        )

    def as_query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({key: value for key, value in self.__dict__.items() if value})


def requests(user: Any, filters: RequestFilters) -> QuerySet[DialogueRequest]:
    """Requests ``user`` may see, narrowed by ``filters``, with their open SLA clock."""
    queryset = selectors.visible_requests(user)
    if filters.q:
        # Arabic-normalized full text (title, summary, question, organization, public outcome):
        # الأحداث finds الاحداث; see textsearch.
        queryset = textsearch.search(queryset, filters.q)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.theme:
        queryset = queryset.filter(theme__code=filters.theme)
    if filters.side:
        queryset = queryset.filter(requesting_organization__side=filters.side)
    return selectors.with_sla(queryset)


def history(text: str) -> QuerySet[AuditEvent]:
    """Audit events, newest first, whose case reference, action or actor is ``text`` (oversight only).

    Exact matches only: the reference is indexed, and a substring search over millions of events
    would scan them all.
    """
    queryset = AuditEvent.objects.select_related("actor").order_by("-occurred_at", "-id")
    text = text.strip()[:200]
    if text:
        queryset = queryset.filter(Q(case_reference=text.upper()) | Q(action=text) | Q(actor_label=text))
    return queryset


def open_action_items(user: Any, *, mine: bool = False, coordinated: list[int] | None = None) -> QuerySet[Any]:
    """Follow-up actions not yet done or dropped, on requests ``user`` may see, soonest due first.

    ``mine`` keeps those owned by the user or by an organization they coordinate.
    """
    from workflows.partnership.models import ActionItem

    queryset = (
        ActionItem.objects.filter(request__in=selectors.visible_requests(user).values("pk"))
        .exclude(status__in=[ActionItem.Status.DONE, ActionItem.Status.DROPPED])
        .select_related("request", "owner_organization", "owner_person")
        .order_by("due_date", "id")
    )
    if mine:
        queryset = queryset.filter(Q(owner_person=user) | Q(owner_organization_id__in=coordinated or []))
    return queryset
