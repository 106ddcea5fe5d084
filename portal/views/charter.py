"""The public charter: every article of the version in force, in Arabic first and in English."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from partners.selectors import current_charter


@require_GET
def charter(request: HttpRequest) -> HttpResponse:
    version = current_charter()
    return render(
        request,
        "portal/charter.html",
        {"page_title": _("Partnership Charter"), "version": version},
    )
