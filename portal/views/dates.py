"""``GET /calendar/day/?starts_at=…``: the warning a meeting form shows as its date is typed (htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import dates


@login_required
@require_GET
def day_check(request: HttpRequest) -> HttpResponse:
    value = request.GET.get("starts_at") or request.GET.get("day") or ""
    day = dates.day_of(value[:100])
    context = {"note": dates.day_note(day), "day": day, "typed": value[:100], "page_title": _("Is it a business day?")}
    # The form's live region takes the fragment; opened directly, it is a page of its own.
    template = "portal/dates/_day_note.html" if request.htmx else "portal/dates/day_check.html"
    return render(request, template, context)
