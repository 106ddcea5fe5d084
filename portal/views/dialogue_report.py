"""The public dialogue report of a request: an HTML page and a PDF, in Arabic or English."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import dialogue_report

LANGUAGES = ("ar", "en")


def _report(reference: str) -> dialogue_report.DialogueReport:
    case = dialogue_report.public_request(reference)
    if case is None:
        raise Http404(_("No published outcome has this reference."))
    return dialogue_report.build(case)


@require_GET
def report_page(request: HttpRequest, reference: str) -> HttpResponse:
    report = _report(reference)
    context = {"page_title": report.title, "report": report, "case": report.case, "languages": LANGUAGES}
    return render(request, "portal/transparency/report.html", context)


@require_GET
def report_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """``?lang=ar`` or ``?lang=en`` picks the document's language (the page's language by default)."""
    language = request.GET.get("lang") or translation.get_language() or "en"
    if language not in LANGUAGES:
        return HttpResponse(
            _("Unknown language: choose ar or en."), status=400, content_type="text/plain; charset=utf-8"
        )
    with translation.override(language):
        report = _report(reference)
        body = dialogue_report.pdf(report)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="dialogue-report-{report.case.reference}-{language}.pdf"'
    return response
