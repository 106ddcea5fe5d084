"""The dialogue report of a request, an HTML page and a PDF in Arabic or English.

Two variants: the public one (``/transparency/REF/report/``) only for a published public outcome,
and the one under the request's page for whoever may see the request, with the outcome when they
may read it (a restricted one marked, and its reading audited).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from engine.audit import RequestContext
from engine.errors import NotPermitted
from workflows.partnership import services
from workflows.partnership.models import Outcome
from workflows.partnership.selectors import outcome_visible_to

from .. import dialogue_report

LANGUAGES = ("ar", "en")


def _public(request: HttpRequest, reference: str) -> dialogue_report.DialogueReport:
    case = dialogue_report.public_request(reference)
    if case is None:
        raise Http404(_("No published outcome has this reference."))
    return dialogue_report.build(case, case.outcome)


def _visible(request: HttpRequest, reference: str) -> dialogue_report.DialogueReport:
    case = dialogue_report.visible_request(reference, request.user)
    if case is None:
        raise Http404(_("No such request, or it is not visible to you."))
    outcome: Outcome | None = None
    note: Any = _("No outcome yet.")
    if hasattr(case, "outcome"):
        if outcome_visible_to(case, request.user):
            try:
                # audits the reading of a restricted outcome, as the request's page does
                outcome = services.outcome_read_restricted(
                    request=case, actor=request.user, context=RequestContext.from_request(request)
                )
            except NotPermitted:
                outcome = None
        if outcome is None:
            note = _("This outcome is restricted to the parties and the platform's oversight.")
    return dialogue_report.build(case, outcome, outcome_note=note)


def _page(request: HttpRequest, report: dialogue_report.DialogueReport, pdf_route: str) -> HttpResponse:
    context = {
        "page_title": report.title,
        "report": report,
        "case": report.case,
        "pdf_route": pdf_route,
        "public": pdf_route == "portal:dialogue_report_pdf",
    }
    return render(request, "portal/transparency/report.html", context)


def _pdf(request: HttpRequest, reference: str, load: Any) -> HttpResponse:
    """``?lang=ar`` or ``?lang=en`` picks the document's language (the page's language by default)."""
    language = request.GET.get("lang") or translation.get_language() or "en"
    if language not in LANGUAGES:
        return HttpResponse(
            _("Unknown language: choose ar or en."), status=400, content_type="text/plain; charset=utf-8"
        )
    with translation.override(language):
        report = load(request, reference)
        body = dialogue_report.pdf(report)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="dialogue-report-{report.case.reference}-{language}.pdf"'
    return response


@require_GET
def report_page(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, _public(request, reference), "portal:dialogue_report_pdf")


@require_GET
def report_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    return _pdf(request, reference, _public)


@login_required
@require_GET
def request_report_page(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, _visible(request, reference), "portal:request_report_pdf")


@login_required
@require_GET
def request_report_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    return _pdf(request, reference, _visible)
