"""The dashboard: requests by state, theme and side; deadlines; where the time goes.

Who opens it is ``access.may_read_reports`` (the programme report's readers too); what it counts is
``search.requests``: the requests the reader may see, narrowed by the dashboard's filters, the very
set the request list shows, so every figure links to the list of the requests behind it.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from engine.dates import DayFirstDateField
from partners.models import Organization, Side, Theme

from .. import charts, reports, search
from ..access import may_read_reports


class DashboardForm(forms.Form):
    """The dashboard's filters, named as the request list's query parameters (``from``, ``to``, ...)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = DayFirstDateField(label=_("Submitted on or after"), required=False)
        self.fields["to"] = DayFirstDateField(label=_("Submitted on or before"), required=False)
        self.fields["theme"] = forms.ModelChoiceField(
            label=_("Theme"),
            queryset=Theme.objects.order_by("ordering", "code"),
            to_field_name="code",
            required=False,
            empty_label=str(_("Any")),
        )
        self.fields["org"] = forms.ModelChoiceField(
            label=_("Organization (requester or counterpart)"),
            queryset=Organization.objects.order_by("name", "id"),
            required=False,
            empty_label=str(_("Any")),
        )
        self.fields["side"] = forms.ChoiceField(
            label=_("Requester's side"), choices=[("", _("Any side")), *Side.choices], required=False
        )
        for name in ("theme", "org"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.label_from_instance = lambda obj: obj.display_name  # type: ignore[method-assign]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end of the period must not be before its start."))
        return cleaned

    def filters(self) -> search.RequestFilters:
        data = self.cleaned_data
        start: dt.date | None = data.get("from")
        end: dt.date | None = data.get("to")
        return search.RequestFilters(
            theme=data["theme"].code if data.get("theme") else "",
            org=str(data["org"].pk) if data.get("org") else "",
            side=data.get("side") or "",
            date_from=start.isoformat() if start else "",
            date_to=end.isoformat() if end else "",
        )


def _allowed(request: HttpRequest) -> None:
    if not may_read_reports(request):
        raise PermissionDenied(_("The dashboard is for the secretariat, auditors and the committee chair."))


def _filters(request: HttpRequest) -> tuple[DashboardForm, search.RequestFilters | None]:
    form = DashboardForm(request.GET)
    return form, (form.filters() if form.is_valid() else None)


def _panel(table: reports.Table, filters: search.RequestFilters, list_url: str) -> dict[str, Any]:
    def href(row: int, column: int) -> str | None:
        params = table.links.get((row, column))
        if params is None or any(getattr(filters, key) not in ("", value) for key, value in params.items()):
            # no link where the dashboard's own filter excludes the figure's set (the figure is 0)
            return None
        return f"{list_url}?{filters.narrowed(**params).as_query()}"

    def kind(value: Any) -> str:
        # a count links to exactly that many requests; a share or a median to the set it is taken over
        counted = table.counts_requests and isinstance(value, int) and not isinstance(value, bool)
        return "count" if counted else "set"

    rows = [
        [(value, href(index, column), kind(value)) for column, value in enumerate(row)]
        for index, row in enumerate(table.rows)
    ]
    chart = None
    column = table.chart_column
    if column is not None and table.rows:
        decimals, text = reports.UNITS[table.value_unit]
        chart = charts.bar_chart(
            [(str(row[0]), float(row[column] or 0)) for row in table.rows],
            title=f"{table.title}: {table.columns[column]}",
            decimals=decimals,
            value_text=text,
            links=[href(index, column) for index in range(len(table.rows))],
            # narrow enough to stay legible when a phone scales it down to its width
            width=420,
            label_width=150,
            label_chars=22,
        )
    axis = table.columns[column] if column is not None else ""
    return {"table": table, "rows": rows, "chart": chart, "axis": axis}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form, filters = _filters(request)
    context: dict[str, Any] = {"page_title": _("Dashboard"), "form": form, "panels": [], "query": ""}
    if filters is None:
        context["errors"] = [
            (form[name].id_for_label, error) for name, errors in form.errors.items() for error in errors
        ]
        return render(request, "portal/dashboard.html", context, status=400)
    cases = search.requests(request.user, filters)
    list_url = reverse("portal:search")
    tables = reports.overview(cases)
    context["panels"] = [_panel(table, filters, list_url) for table in tables.values()]
    context["query"] = filters.as_query()
    context["all_url"] = f"{list_url}?{filters.as_query()}" if filters.as_query() else list_url
    # every request is in exactly one state
    context["total"] = sum(row[1] for row in tables["by_state"].rows)
    return render(request, "portal/dashboard.html", context)


@login_required
@require_GET
def dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    _allowed(request)
    builder = reports.BUILDERS.get(key)
    if builder is None:
        raise Http404(_("No such table."))
    form, filters = _filters(request)
    if filters is None:
        errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    table = builder(search.requests(request.user, filters))
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
