"""The home page: a landing page for visitors, a workspace for each role the user holds."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from workflows.partnership import selectors

from .. import presenters, search
from ..access import viewer

LIMIT = 25


def _rows(queryset: Any, limit: int = LIMIT) -> list[Any]:
    rows = list(queryset[:limit])
    for row in rows:
        row.state_text = presenters.state_label(row)
        owner = getattr(row, "sla_owner", None)
        row.turn = presenters.owner_label(owner) if owner else ""
        row.sla = _sla_status(row)
        if hasattr(row, "breached_owner"):
            row.sla, row.sla_due_at = "breached", row.breached_due_at
            row.turn = presenters.owner_label(row.breached_owner)
    presenters.name_minutes_turns(rows)
    return rows


def _sla_status(row: Any) -> str | None:
    status = getattr(row, "sla_status", None)
    if status is None:
        return None
    return "paused" if getattr(row, "sla_paused_at", None) else status


def _awaiting_requester(rows: list[Any], coordinated: set[int]) -> list[Any]:
    """The requester's own requests where the next step is theirs (drafts, questions, minutes, follow-up)."""
    waiting = []
    for row in rows:
        own = row.requesting_organization_id in coordinated
        parties = {row.requesting_organization_id, *(org.pk for org in row.counterpart_organizations.all())}
        party = bool(parties & coordinated)
        minutes = getattr(row, "minutes", None)  # presenters.name_minutes_turns: whom the minutes wait for
        if (own and row.state in ("draft", "info_requested")) or (
            minutes is not None
            and not minutes.pending
            and any(organization.pk in coordinated for organization in minutes.waiting)
        ):
            waiting.append(row)
        elif party and row.state == "follow_up":
            waiting.append(row)
    return waiting


def home(request: HttpRequest) -> HttpResponse:
    who = viewer(request)
    if not who.is_signed_in:
        return render(request, "portal/landing.html", {"page_title": _("Welcome")})
    context: dict[str, Any] = {"page_title": _("My workspace"), "viewer": who}
    if who.organization_ids:
        mine = _rows(selectors.with_sla(selectors.my_requests(request.user)))
        context["my_requests"] = mine
        context["awaiting_me"] = _awaiting_requester(mine, set(who.coordinated_ids))
    if who.is_secretariat:
        context["triage"] = _rows(selectors.triage_queue(request.user))
        # The queue's and the dashboard's "breached now": past the deadline of the current state's clock.
        breached = search.requests(request.user, search.RequestFilters(sla="breached")).order_by("sla_due_at", "id")
        context["overdue"] = _rows(breached, 10)
        for row in context["overdue"]:
            row.sla = "breached"
    if who.is_committee:
        context["awaiting_vote"] = _rows(selectors.awaiting_my_vote(request.user))
    return render(request, "portal/home.html", context)
