"""The queue's changes: assigning requests (one from its page, one row or many from the queue) and the
person's saved filters. Views parse input, call the service and say what happened; the flow decides."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.audit import RequestContext
from engine.errors import EngineError, InvalidInput
from engine.reasons import Reason
from workflows.partnership import services

from ..forms import SavedFilterForm
from ..models import SavedFilter
from . import requests as request_views

#: The session key holding the per-row results of the last bulk action, shown once by the queue.
RESULTS_KEY = "portal_queue_results"
MAX_ROWS = 100


def _assignee(request: HttpRequest) -> Any:
    """``to=me`` or an officer's id; anything else goes to the flow's form, which refuses it in words."""
    to = request.POST.get("to", "").strip()
    if to == "officer":
        to = request.POST.get("officer", "").strip()
    return request.user.pk if to == "me" or request.POST.get("row") else to[:12]


def _queue_url(query: str) -> str:
    """The queue with ``query`` as the queue reads it (re-encoded: nothing else reaches the redirect)."""
    from django.http import QueryDict

    from ..search import RequestFilters

    params = QueryDict(str(query).lstrip("?")[:1000])
    query = RequestFilters.from_query(params).as_query()
    page = params.get("page", "")
    if page.isdigit() and page.isascii() and len(page) <= 6:
        query = f"{query}&page={page}" if query else f"page={page}"
    return reverse("portal:search") + (f"?{query}" if query else "")


def _explained(error: EngineError) -> EngineError:
    """Field errors of the input said as reasons, so the refusal panel lists them."""
    if isinstance(error, InvalidInput) and not error.reasons:
        error.reasons = [
            Reason("invalid_input", message) for messages_ in error.errors.values() for message in messages_
        ]
    return error


@login_required
@require_POST
def request_assign(request: HttpRequest, reference: str) -> HttpResponse:
    """Assign one request from its page: to me, or to the officer chosen."""
    case = request_views.load_light(request, reference)
    try:
        services.request_assign(
            request=case,
            actor=request.user,
            assignee=_assignee(request),
            reason=request.POST.get("reason", "")[:300],
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        return request_views._refused(request, reference, _explained(error))
    case.refresh_from_db(fields=["assignee"])
    name = case.assignee.get_full_name() or case.assignee.get_username() if case.assignee else ""
    return request_views._done(request, reference, _("The request is now assigned to %(name)s.") % {"name": name})


@login_required
@require_POST
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Assign the selected rows (or the one row whose button was pressed), each through the flow."""
    row = request.POST.get("row", "").strip()
    references = [row] if row else request.POST.getlist("refs")
    references = [reference.strip()[:32] for reference in references if reference.strip()][:MAX_ROWS]
    back = request.POST.get("back", "")
    if not references:
        messages.error(request, _("Select at least one request first."))
        return redirect(_queue_url(back))
    results = services.requests_assign(
        references=references,
        actor=request.user,
        assignee=_assignee(request),
        reason=request.POST.get("reason", "")[:300],
        context=RequestContext.from_request(request),
    )
    request.session[RESULTS_KEY] = [asdict(result) for result in results]
    return redirect(_queue_url(back))


def pop_results(request: HttpRequest) -> list[dict[str, Any]]:
    """The per-row results of the last bulk action (once)."""
    results = request.session.pop(RESULTS_KEY, None)
    return results if isinstance(results, list) else []


@login_required
@require_POST
def saved_filter_save(request: HttpRequest) -> HttpResponse:
    form = SavedFilterForm(request.POST, owner=request.user)
    query = form.data.get("query", "")
    if form.is_valid():
        saved = form.save()
        messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
        return redirect(_queue_url(saved.query))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(_queue_url(str(query)))


@login_required
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deleted, _rows = SavedFilter.objects.filter(pk=pk, owner=request.user).delete()
    if deleted:
        messages.success(request, _("Saved filter deleted."))
    else:
        messages.error(request, _("No such saved filter."))
    return redirect(_queue_url(request.POST.get("back", "")))


def query_without_page(params: Any) -> str:
    """The query string of the queue as a person would save it (no page number)."""
    return urlencode([(key, value) for key, value in params.items() if key != "page" and value])
