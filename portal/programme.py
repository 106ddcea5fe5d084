"""The programme report for a period: what a programme officer or a donor reads.

Requests submitted in the period (drafts never count), narrowed by theme, the requester's side and a
ministry taking part, counted by theme, side, ministry, format and state; their outcomes by
visibility; recommendations and follow-up progress; deadlines kept (``reports.sla_compliance``, the
dashboard's own table, limited to these requests); attendance.

Sections other work adds: a provider registered with :func:`register_section` receives the reader,
the period's filters and the requests (already limited to what the reader may see) and returns more
tables, counting only what the reader may see; they are drawn, exported to XLSX and to PDF like the
built-in ones. The outcome register (outcomes by type of change, recommendations' progress) plugs in
here. Attendance is counted both ways: organizations present per meeting, and people by side and gender.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from engine.dates import DayFirstDateField
from partners.models import Organization, Side, Theme
from workflows.partnership import selectors, sessions
from workflows.partnership.flows import DRAFT, RequestFlow
from workflows.partnership.models import ActionItem, Attendance, DialogueRequest, Outcome, Participant

from . import reports
from .reports import Table

MAX_DAYS = 3660


@dataclass
class Section(Table):
    """A table of the report; ``chart`` is the column the page draws (None: no chart), in ``unit``."""

    chart: int | None = 1
    unit: Any = ""
    note: Any = ""


@dataclass
class Filters:
    date_from: dt.date
    date_to: dt.date
    theme: Theme | None = None
    side: str = ""
    ministry: Organization | None = None

    def describe(self) -> list[tuple[Any, str]]:
        """(label, value) pairs for the report's heading and its first sheet."""
        pairs: list[tuple[Any, str]] = [
            (_("From"), date_format(self.date_from, "DATE_FORMAT")),
            (_("Until"), date_format(self.date_to, "DATE_FORMAT")),
        ]
        if self.theme:
            pairs.append((_("Theme"), self.theme.display_name))
        if self.side:
            pairs.append((_("Side"), str(Side(self.side).label)))
        if self.ministry:
            pairs.append((_("Ministry"), self.ministry.display_name))
        return pairs


class ProgrammeForm(forms.Form):
    date_from = DayFirstDateField(label=_("From"), required=False)
    date_to = DayFirstDateField(label=_("Until"), required=False)
    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.order_by("ordering", "code"), to_field_name="code", required=False
    )
    side = forms.ChoiceField(label=_("Requester's side"), choices=[("", _("Any side")), *Side.choices], required=False)
    ministry = forms.ModelChoiceField(
        label=_("Ministry"),
        queryset=Organization.objects.filter(kind=Organization.Kind.MINISTRY).order_by("name", "id"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("theme", "ministry"):
            field_ = self.fields[name]
            assert isinstance(field_, forms.ModelChoiceField)
            field_.label_from_instance = lambda obj: obj.display_name  # type: ignore[method-assign]
            field_.empty_label = str(_("Any"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        date_to = cleaned.get("date_to") or today
        date_from = cleaned.get("date_from") or (date_to - dt.timedelta(days=365))
        if date_from > date_to:
            self.add_error("date_to", _("The end of the period must not be before its start."))
        elif (date_to - date_from).days > MAX_DAYS:
            self.add_error("date_from", _("A report covers at most ten years."))
        cleaned["date_from"], cleaned["date_to"] = date_from, date_to
        return cleaned

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            theme=data.get("theme"),
            side=data.get("side") or "",
            ministry=data.get("ministry"),
        )


#: (reader, filters, the period's requests the reader may see) -> more sections
SectionProvider = Callable[[Any, Filters, QuerySet[DialogueRequest]], list[Section]]
_PROVIDERS: list[SectionProvider] = []


def register_section(provider: SectionProvider) -> SectionProvider:
    """Add tables to every programme report (usable as a decorator)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def requests_in(user: Any, filters: Filters) -> QuerySet[DialogueRequest]:
    """Requests ``user`` may see that were submitted in the period and match the filters."""
    start = timezone.make_aware(dt.datetime.combine(filters.date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min))
    queryset = selectors.visible_requests(user).exclude(state=DRAFT)
    queryset = queryset.filter(submitted_at__gte=start, submitted_at__lt=end)
    if filters.theme:
        queryset = queryset.filter(theme=filters.theme)
    if filters.side:
        queryset = queryset.filter(requesting_organization__side=filters.side)
    if filters.ministry:
        through = DialogueRequest.counterpart_organizations.through
        named = through.objects.filter(organization=filters.ministry).values("dialoguerequest_id")
        queryset = queryset.filter(Q(requesting_organization=filters.ministry) | Q(pk__in=named))
    return queryset


def _arabic() -> bool:
    return (get_language() or "").startswith("ar")


def _counts(cases: QuerySet[DialogueRequest], field_name: str) -> dict[Any, int]:
    return dict(
        DialogueRequest.objects.filter(pk__in=cases.values("pk"))
        .values_list(field_name)
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )


def _requests_unit() -> Any:
    return _("requests")


def by_theme(cases: QuerySet[DialogueRequest]) -> Section:
    counts = _counts(cases, "theme")
    section = Section("theme", _("Requests by theme"), [_("Theme"), _("Requests")], unit=_requests_unit())
    for theme in Theme.objects.order_by("ordering", "code"):
        if counts.get(theme.pk):
            section.rows.append([theme.display_name, counts[theme.pk]])
    return section


def by_side(cases: QuerySet[DialogueRequest]) -> Section:
    counts = _counts(cases, "requesting_organization__side")
    section = Section("side", _("Requests by the requester's side"), [_("Side"), _("Requests")], unit=_requests_unit())
    section.rows = [[str(label), counts.get(value, 0)] for value, label in Side.choices]
    return section


def by_ministry(cases: QuerySet[DialogueRequest]) -> Section:
    """Each ministry taking part, as requester or counterpart (a request may count for two ministries)."""
    ids = cases.values("pk")
    through = DialogueRequest.counterpart_organizations.through
    requested = Q(requests_made__in=ids)
    named = Q(pk__in=through.objects.filter(dialoguerequest_id__in=ids).values("organization_id"))
    ministries = Organization.objects.filter(Q(kind=Organization.Kind.MINISTRY) & (requested | named)).distinct()
    section = Section(
        "ministry",
        _("Requests by ministry taking part"),
        [_("Ministry"), _("Requests"), _("As requester"), _("As counterpart")],
        unit=_requests_unit(),
        note=_("A request with two ministries counts for each."),
    )
    as_requester = dict(
        DialogueRequest.objects.filter(pk__in=ids, requesting_organization__in=ministries)
        .values_list("requesting_organization")
        .annotate(n=Count("id"))
        .order_by()
    )
    as_counterpart = dict(
        through.objects.filter(dialoguerequest_id__in=ids, organization__in=ministries)
        .values_list("organization")
        .annotate(n=Count("dialoguerequest_id", distinct=True))
        .order_by()
    )
    rows = []
    for ministry in ministries:
        mine, theirs = as_requester.get(ministry.pk, 0), as_counterpart.get(ministry.pk, 0)
        rows.append([ministry.display_name, mine + theirs, mine, theirs])
    section.rows = sorted(rows, key=lambda row: (-row[1], row[0]))
    return section


def by_format(cases: QuerySet[DialogueRequest]) -> Section:
    counts = _counts(cases, "format")
    section = Section("format", _("Requests by format"), [_("Format"), _("Requests")], unit=_requests_unit())
    section.rows = [[str(label), counts.get(value, 0)] for value, label in DialogueRequest.Format.choices]
    return section


def by_state(cases: QuerySet[DialogueRequest]) -> Section:
    counts = _counts(cases, "state")
    section = Section("state", _("Requests by state"), [_("State"), _("Requests")], unit=_requests_unit())
    section.rows = [
        [str(label), counts[state]] for state, label in RequestFlow.state_labels.items() if counts.get(state)
    ]
    return section


def outcomes(cases: QuerySet[DialogueRequest]) -> Section:
    """Outcomes documented for these requests, by visibility (counts only: no restricted text)."""
    rows = (
        Outcome.objects.filter(request__in=cases.values("pk"))
        .values("visibility")
        .annotate(n=Count("id"), published=Count("id", filter=Q(request__published=True)))
        .order_by()
    )
    counts = {row["visibility"]: row for row in rows}
    section = Section(
        "outcomes",
        _("Outcomes by visibility"),
        [_("Visibility"), _("Outcomes"), _("Published")],
        unit=pgettext_lazy("unit", "outcomes"),
    )
    for value, label in Outcome.Visibility.choices:
        row = counts.get(value, {"n": 0, "published": 0})
        section.rows.append([str(label), row["n"], row["published"]])
    return section


def recommendations(cases: QuerySet[DialogueRequest]) -> Section:
    """Recommendations recorded and the follow-up actions that carry them out."""
    lists = Outcome.objects.filter(request__in=cases.values("pk")).values_list("recommendations", flat=True)
    recorded = sum(len(items or []) for items in lists)
    with_recommendations = sum(1 for items in lists if items)
    items = ActionItem.objects.filter(request__in=cases.values("pk"))
    today = timezone.localdate()
    totals = items.aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status=ActionItem.Status.DONE)),
        in_progress=Count("id", filter=Q(status=ActionItem.Status.IN_PROGRESS)),
        open=Count("id", filter=Q(status=ActionItem.Status.OPEN)),
        dropped=Count("id", filter=Q(status=ActionItem.Status.DROPPED)),
        overdue=Count(
            "id",
            filter=Q(due_date__lt=today, status__in=[ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS]),
        ),
    )
    settled = totals["done"] + totals["dropped"]
    percent = round(100 * settled / totals["total"], 1) if totals["total"] else None
    section = Section(
        "recommendations",
        _("Recommendations and follow-up"),
        [_("Measure"), _("Number")],
        chart=None,
        note=_("Settled: done, or dropped with a justification."),
    )
    section.rows = [
        [str(_("Recommendations recorded")), recorded],
        [str(_("Outcomes with recommendations")), with_recommendations],
        [str(_("Follow-up actions")), totals["total"]],
        [str(_("Done")), totals["done"]],
        [str(_("In progress")), totals["in_progress"]],
        [str(_("Open")), totals["open"]],
        [str(_("Dropped")), totals["dropped"]],
        [str(_("Overdue")), totals["overdue"]],
        [str(_("Follow-up settled (%)")), percent],
    ]
    return section


def follow_up_status(cases: QuerySet[DialogueRequest]) -> Section:
    counts = dict(
        ActionItem.objects.filter(request__in=cases.values("pk"))
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    section = Section("follow_up", _("Follow-up actions by status"), [_("Status"), _("Actions")], unit=_("actions"))
    section.rows = [[str(label), counts.get(value, 0)] for value, label in ActionItem.Status.choices]
    return section


def sla(cases: QuerySet[DialogueRequest]) -> Section:
    """The dashboard's deadlines table (``reports.sla_compliance``), limited to these requests."""
    table = reports.sla_compliance(cases)
    return Section(table.key, table.title, table.columns, table.rows, chart=2, unit="%")


def attendance(cases: QuerySet[DialogueRequest]) -> Section:
    """Meetings held for these requests: how often each organization invited was present.

    The organizations' presence as recorded per meeting; ``attendance_by_gender`` counts the people.
    """
    rows = (
        Attendance.objects.filter(meeting__request__in=cases.values("pk"), meeting__status="held")
        .values("organization__name", "organization__name_ar", "organization__side")
        .annotate(attended=Count("id", filter=Q(present=True)), missed=Count("id", filter=Q(present=False)))
        .order_by("-attended", "organization__name")
    )
    arabic = _arabic()
    sides = dict(Side.choices)
    section = Section(
        "attendance",
        _("Attendance by organization"),
        [_("Organization"), _("Meetings attended"), _("Meetings missed"), _("Side")],
        unit=pgettext_lazy("unit", "meetings"),
    )
    section.rows = [
        [
            (row["organization__name_ar"] if arabic else "") or row["organization__name"],
            row["attended"],
            row["missed"],
            str(sides.get(row["organization__side"], "")),
        ]
        for row in rows
    ]
    return section


def attendance_by_gender(cases: QuerySet[DialogueRequest]) -> Section:
    """Attendances at the held sessions of these requests, by the person's side and gender (one query).

    A person at two sessions counts twice: these are attendances, as the outcome page and the dashboard count.
    """
    figures = sessions.figures_for(cases.values("pk"))
    genders = dict(Participant.Gender.choices)
    sides = dict(Side.choices)
    section = Section(
        "attendance_gender",
        _("Attendance by side and gender"),
        [_("Side"), *[genders[g] for g in sessions.GENDERS], _("Total")],
        unit=_("attendances"),
        chart=len(sessions.GENDERS) + 1,
    )
    section.rows = [
        [str(sides[side]), *[by_gender[g] for g in sessions.GENDERS], sum(by_gender.values())]
        for side, by_gender in figures["by_side_and_gender"].items()
    ]
    section.rows.append([str(_("Total")), *[figures["by_gender"][g] for g in sessions.GENDERS], figures["attended"]])
    return section


@dataclass
class Report:
    filters: Filters
    total: int
    sections: list[Section] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(_("Programme report"))


def build(user: Any, filters: Filters) -> Report:
    cases = requests_in(user, filters)
    sections = [
        by_theme(cases),
        by_side(cases),
        by_ministry(cases),
        by_format(cases),
        by_state(cases),
        outcomes(cases),
        recommendations(cases),
        follow_up_status(cases),
        sla(cases),
        attendance(cases),
        attendance_by_gender(cases),
    ]
    for provider in _PROVIDERS:
        sections.extend(provider(user, filters, cases))
    return Report(filters=filters, total=cases.count(), sections=sections)
