"""Search over requests (what the user may see) and, for oversight, over the audit history."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from workflows.partnership.flows import RequestFlow
from workflows.partnership.selectors import themes

from .. import presenters, search
from ..access import viewer


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
    page = Paginator(search.requests(request.user, filters), 25).get_page(request.GET.get("page"))
    for row in page:
        row.state_text = presenters.state_label(row)
        row.turn = presenters.owner_label(row.sla_owner) if row.sla_owner else ""
        row.sla = ("paused" if row.sla_paused_at else row.sla_status) if row.sla_status else None
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
    }
    template = "portal/search/_results.html" if request.htmx else "portal/search/requests.html"
    return render(request, template, context)
