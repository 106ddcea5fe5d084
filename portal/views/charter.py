"""The public charter: every article of the version in force, in Arabic first and in English.

With ``?from=N`` (and ``&to=M``, the version in force by default) the page shows what changed between
two versions, article by article, in both languages.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from engine.errors import InvalidInput
from partners.charter_diff import charter_diff
from partners.models import CharterVersion
from partners.selectors import current_charter


@require_GET
def charter(request: HttpRequest) -> HttpResponse:
    version = current_charter()
    context = {
        "page_title": _("Partnership Charter"),
        "version": version,
        "versions": list(CharterVersion.objects.exclude(published_at=None).order_by("-number")),
    }
    status = 200
    if "from" in request.GET or "to" in request.GET:
        from partners.api.views import versions_to_compare

        try:
            old, new = versions_to_compare(request.GET)
        except InvalidInput as error:
            context["diff_errors"] = [message for messages in error.errors.values() for message in messages]
            status = 400
        else:
            context.update(diff_from=old, diff_to=new, changes=charter_diff(old, new))
            context["page_title"] = _("Partnership Charter: what changed")
    return render(request, "portal/charter.html", context, status=status)
