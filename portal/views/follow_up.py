"""The follow-up tracker: every open action across requests, soonest due first, overdue ones flagged."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import search
from ..access import viewer


@login_required
@require_GET
def follow_up_tracker(request: HttpRequest) -> HttpResponse:
    who = viewer(request)
    # Owners see their own actions first; the secretariat and auditors see everything by default.
    oversight = who.is_secretariat or who.is_auditor
    mine = request.GET.get("mine", "" if oversight else "1") == "1"
    items = search.open_action_items(request.user, mine=mine, coordinated=who.coordinated_ids)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for item in page:
        item.overdue = item.due_date < today
    context = {
        "page_title": _("Follow-up tracker"),
        "page": page,
        "mine": mine,
        "oversight": oversight,
        "query_string": "mine=1" if mine else "mine=0",
    }
    return render(request, "portal/follow_up.html", context)
