"""Who may read what over the API: the partnership selectors, plus the few read rules only the API has."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from partners.selectors import user_access

from .. import selectors
from ..models import DialogueRequest


def is_auditor(user: Any) -> bool:
    return "auditor" in user_access(user).roles


def visible_requests(user: Any) -> QuerySet[DialogueRequest]:
    """The requests ``user`` may see (invisible ones answer 404, never 403)."""
    return selectors.visible_requests(user)


def may_read_restricted(user: Any, request: DialogueRequest) -> bool:
    """May ``user`` read ``request``'s outcome (restricted ones: parties, secretariat, committee, auditors)?"""
    return selectors.outcome_visible_to(request, user)


def actor_role(user: Any, request: DialogueRequest) -> str:
    """The capacity in which ``user`` reads ``request`` (for the access log of restricted reads)."""
    return selectors.reader_role(user, request)
