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
    # the queue: assignee=me|none|<user id>, waiting=me, sort=urgency (default)|newest|reference
    assignee: str = ""
    waiting: str = ""
    sort: str = ""

    @classmethod
    def from_query(cls, params: Any) -> RequestFilters:
        return cls(
            q=params.get("q", "").strip()[:200],
            state=params.get("state", "").strip()[:40],
            theme=params.get("theme", "").strip()[:40],
            side=params.get("side", "").strip()[:10],
            **queue_filters(params),
        )

    def as_query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({key: value for key, value in self.__dict__.items() if value})


def requests(user: Any, filters: RequestFilters) -> Any:
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
    return queue(user, queryset, filters)


# --- the queue (issue 12): assignee, waiting for me, urgency sort -----------------------------------

SORTS = ("urgency", "newest", "reference")


def queue_filters(params: Any) -> dict[str, str]:
    """The queue's own parameters, kept only when they mean something (anything else is ignored)."""
    assignee = params.get("assignee", "").strip()[:12]
    if assignee not in ("me", "none") and not (assignee.isdigit() and assignee.isascii() and len(assignee) <= 9):
        assignee = ""
    waiting = "me" if params.get("waiting", "").strip() == "me" else ""
    sort = params.get("sort", "").strip()
    return {"assignee": assignee, "waiting": waiting, "sort": sort if sort in SORTS[1:] else ""}


def queue(user: Any, queryset: QuerySet[DialogueRequest], filters: RequestFilters) -> Any:
    """Narrow by assignee and "waiting for me", annotate the open clock and urgency, and sort."""
    from django.utils import timezone

    if filters.assignee == "me":
        queryset = queryset.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee:
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    if filters.waiting == "me":
        queryset = selectors.waiting_for(user, queryset)
    queryset = queryset.select_related("assignee")
    now = timezone.now()
    if filters.sort == "newest":
        return selectors.with_urgency(queryset, now).order_by("-created_at", "-id")
    if filters.sort == "reference":
        return selectors.with_urgency(queryset, now).order_by("reference")
    # The default: most urgent first, ordered by one join of the open clocks (see UrgentFirst).
    return selectors.UrgentFirst(queryset, now)


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
