"""Search over requests (what the user may see) and, for oversight, over the audit history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from partners.models import Organization
from workflows.partnership.flows import RequestFlow
from workflows.partnership.forms import secretariat_officers
from workflows.partnership.selectors import themes

from .. import presenters, search
from .. import queue as queue_words
from ..access import viewer
from ..models import SavedFilter
from .queue import pop_results


@login_required
@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    who = viewer(request)
    mode = request.GET.get("mode", "requests")
    if mode == "history":
        if not (who.is_auditor or who.is_secretariat):
            raise PermissionDenied(_("Only auditors and the secretariat may search the audit history."))
        text = request.GET.get("q", "")
        page = Paginator(search.history(text), 50).get_page(request.GET.get("page"))
        context = {
            "page_title": _("Audit history"),
            "page": page,
            "rows": presenters.audit_rows(page),
            "q": text.strip()[:200],
            "mode": mode,
        }
        context["query_string"] = f"mode=history&q={context['q']}" if context["q"] else "mode=history"
        template = "portal/search/_history_results.html" if request.htmx else "portal/search/history.html"
        return render(request, template, context)
    filters = search.RequestFilters.from_query(request.GET)
    page = Paginator(search.queue(request.user, filters), 25).get_page(request.GET.get("page"))
    now = timezone.now()
    for row in page:
        row.state_text = presenters.state_label(row)
        row.turn = presenters.owner_label(row.sla_owner) if row.sla_owner else ""
        row.sla = ("paused" if row.sla_paused_at else row.sla_status) if row.sla_status else None
        row.time_left = queue_words.row_time_left(row, now)
    presenters.name_minutes_turns(list(page))
    context = {
        "page_title": _("All requests"),
        "page": page,
        "rows": list(page),
        "filters": filters,
        "query_string": filters.as_query(),
        "states": [(value, str(label)) for value, label in RequestFlow.state_labels.items()],
        "themes": list(themes()),
        "sides": [("public", _("Public sector")), ("civil", _("Civil society"))],
        "mode": mode,
        # the dashboard's click-through filters
        "organizations": list(Organization.objects.order_by("name", "id")),
        "sla_choices": list(search.SLA_CHOICES.items()),
        "errors": [("", error) for error in filters.errors],
        **_queue_context(request, who, filters),
    }
    template = "portal/search/_results.html" if request.htmx else "portal/search/requests.html"
    return render(request, template, context, status=400 if filters.errors else 200)


def _queue_context(request: HttpRequest, who: Any, filters: search.RequestFilters) -> dict[str, Any]:
    """The queue's parts of the page: assignment controls, saved filters, the last bulk action's results."""
    assign_spec = RequestFlow.unit("assigned")
    officers = list(secretariat_officers()) if who.is_secretariat or who.is_auditor else []
    return {
        "show_assignee_filter": who.is_secretariat or who.is_auditor,
        # Buttons are offered where the flow declares the unit; the flow refuses (in words) the rest.
        "may_assign": who.is_secretariat,
        "assignable_states": list(assign_spec.sources) if assign_spec is not None else [],
        "officers": officers,
        "saved_filters": list(SavedFilter.objects.filter(owner=request.user)),
        "results": pop_results(request),
        "sorts": [("", _("Most urgent first")), ("newest", _("Newest first")), ("reference", _("Reference"))],
        "assignee_choices": [("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))]
        + [(str(officer.pk), officer.get_full_name() or officer.get_username()) for officer in officers],
    }
