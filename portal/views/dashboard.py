"""The secretariat's dashboard: requests by state, theme and side; deadlines; where the time goes."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import charts, reports
from ..access import viewer

# Which column of each table the chart draws.
CHART_COLUMN = {
    "by_state": 1,
    "by_theme": 1,
    "by_side": 1,
    "sla": 2,
    "time_in_state": 1,
    "time_per_party": 1,
    "attendance": 4,
}


def _oversight_only(request: HttpRequest) -> None:
    who = viewer(request)
    if not (who.is_secretariat or who.is_auditor):
        raise PermissionDenied(_("The dashboard is for the secretariat and auditors."))


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _oversight_only(request)
    tables = reports.overview()
    panels: list[dict[str, Any]] = []
    for key, table in tables.items():
        column = CHART_COLUMN[key]
        data = [(str(row[0]), float(row[column] or 0)) for row in table.rows]
        panels.append(
            {
                "table": table,
                "chart": charts.bar_chart(
                    data, title=f"{table.title}: {table.columns[column]}", decimals=1 if key.startswith("time") else 0
                )
                if data
                else None,
                "csv_url_key": key,
            }
        )
    return render(request, "portal/dashboard.html", {"page_title": _("Dashboard"), "panels": panels})


@login_required
@require_GET
def dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    _oversight_only(request)
    builders = {
        "by_state": reports.by_state,
        "by_theme": reports.by_theme,
        "by_side": reports.by_side,
        "sla": reports.sla_compliance,
        "time_in_state": reports.time_in_state,
        "time_per_party": reports.time_per_party,
        "attendance": reports.attendance,
    }
    builder = builders.get(key)
    if builder is None:
        raise Http404(_("No such table."))
    table = builder()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{key}-{stamp}.csv"'
    # A byte-order mark lets spreadsheet programs read the Arabic text as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(column) for column in table.columns])
    for row in table.rows:
        writer.writerow(["" if value is None else value for value in row])
    return response
