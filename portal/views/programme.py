"""The programme report: a page with charts, and the same figures as XLSX and PDF.

Who may read it: the secretariat, auditors and the committee chair (the people who answer for the
programme as a whole). Every figure is counted over ``selectors.visible_requests`` of the reader,
drafts excluded, so the report never counts what its reader may not see.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import charts, exports, programme
from ..access import may_read_reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _allowed(request: HttpRequest) -> None:
    if not may_read_reports(request):
        raise PermissionDenied(_("The programme report is for the secretariat, auditors and the committee chair."))


def _form(request: HttpRequest) -> programme.ProgrammeForm:
    return programme.ProgrammeForm(request.GET or None)


def _report(request: HttpRequest, form: programme.ProgrammeForm) -> programme.Report | None:
    if request.GET and not form.is_valid():
        return None
    if not request.GET:
        form = programme.ProgrammeForm({})
        form.is_valid()
    return programme.build(request.user, form.filters())


def _panels(report: programme.Report) -> list[dict[str, Any]]:
    panels = []
    for section in report.sections:
        chart = None
        if section.chart is not None and section.rows:
            column = section.chart
            data = [(str(row[0]), float(row[column] or 0)) for row in section.rows]
            chart = charts.bar_chart(
                data,
                title=f"{section.title}: {section.columns[column]}",
                unit=str(section.unit),
                decimals=1 if section.unit == "%" else 0,
            )
        panels.append({"section": section, "chart": chart})
    return panels


@login_required
@require_GET
def programme_report(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = _form(request)
    report = _report(request, form)
    status = 200 if report is not None else 400
    context = {
        "page_title": _("Programme report"),
        "form": form,
        "report": report,
        "panels": _panels(report) if report else [],
        "query": request.GET.urlencode(),
    }
    return render(request, "portal/reports/programme.html", context, status=status)


def _download(request: HttpRequest, kind: str) -> HttpResponse:
    _allowed(request)
    form = _form(request)
    report = _report(request, form)
    if report is None:
        return render(
            request,
            "portal/reports/programme.html",
            {"page_title": _("Programme report"), "form": form, "report": None, "panels": []},
            status=400,
        )
    filters = report.filters
    name = f"programme-report-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"
    if kind == "xlsx":
        response = HttpResponse(exports.workbook(report), content_type=XLSX)
    else:
        response = HttpResponse(exports.pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@login_required
@require_GET
def programme_xlsx(request: HttpRequest) -> HttpResponse:
    return _download(request, "xlsx")


@login_required
@require_GET
def programme_pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, "pdf")
