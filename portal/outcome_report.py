"""The outcome register's figures in the programme report and its outcomes in the dialogue report.

Wired only when ``workflows.outcomes`` is installed (the outcome register and trackable
recommendations); everything is read through that workflow's own selectors, so what a reader may
see is decided there:

- programme report: harvested outcomes linked to the period's requests that the reader may see
  (``visible_outcomes``), by type of change with how many are published; tracked recommendations of
  those requests (``visible_recommendations``) by status with their average progress;
- dialogue report: published harvested outcomes linked to the request (a restricted one shows only
  its public summary) and the request's tracked recommendations with their progress and latest
  dated note. Both report variants show this public view.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Avg, Count, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from workflows.partnership.models import DialogueRequest

from . import dialogue_report, programme
from .reports import Table


def connect() -> None:
    if not apps.is_installed("workflows.outcomes"):
        return
    programme.register_section(harvested_sections)
    dialogue_report.register_part(register_parts)


def _arabic() -> bool:
    return (get_language() or "").startswith("ar")


def harvested_sections(
    user: Any, filters: programme.Filters, cases: QuerySet[DialogueRequest]
) -> list[programme.Section]:
    from workflows.outcomes import selectors
    from workflows.outcomes.flows import RecommendationFlow
    from workflows.outcomes.models import HarvestedOutcome, Recommendation

    seen = selectors.visible_outcomes(user).filter(requests__in=cases.values("pk")).values("pk")
    counts = {
        row["change_type"]: row
        for row in HarvestedOutcome.objects.filter(pk__in=seen)
        .values("change_type")
        .annotate(n=Count("id"), published=Count("id", filter=Q(state="published")))
        .order_by()
    }
    by_type = programme.Section(
        "harvested_by_type",
        _("Harvested outcomes by type of change"),
        [_("Type of change"), _("Outcomes"), _("Published")],
        unit=pgettext_lazy("unit", "outcomes"),
        note=_("Outcomes harvested from the period's dialogues, whenever they were harvested."),
    )
    for value, label in HarvestedOutcome.ChangeType.choices:
        row = counts.get(value, {"n": 0, "published": 0})
        by_type.rows.append([str(label), row["n"], row["published"]])

    tracked = selectors.visible_recommendations(user).filter(request__in=cases.values("pk")).values("pk")
    rows = {
        row["state"]: row
        for row in Recommendation.objects.filter(pk__in=tracked)
        .values("state")
        .annotate(n=Count("id"), progress=Avg("progress"))
        .order_by()
    }
    progress = programme.Section(
        "recommendation_progress",
        _("Tracked recommendations by status"),
        [_("Status"), _("Recommendations"), _("Average progress (%)")],
        unit=_("recommendations"),
    )
    for state, label in RecommendationFlow.state_labels.items():
        row = rows.get(state)
        if row:
            progress.rows.append([str(label), row["n"], round(float(row["progress"] or 0), 1)])
    return [by_type, progress]


def register_parts(case: DialogueRequest) -> list[dialogue_report.Part]:
    from workflows.outcomes import selectors
    from workflows.outcomes.flows import RecommendationFlow
    from workflows.outcomes.models import HarvestedOutcome

    arabic = _arabic()
    outcomes = Table(
        "harvested",
        _("Harvested outcomes"),
        [_("Reference"), _("What changed"), _("Type of change"), _("Substantiation")],
    )
    for outcome in selectors.published_outcomes_of_request(case):
        if outcome.visibility == HarvestedOutcome.Visibility.PUBLIC:
            text = f"{outcome.title}: {outcome.change}"
        else:
            text = (outcome.public_summary_ar if arabic else "") or outcome.public_summary
        outcomes.rows.append(
            [outcome.reference, text, outcome.get_change_type_display(), outcome.get_verdict_display()]
        )
    recommendations = Table(
        "tracked_recommendations",
        _("Recommendations: progress"),
        [_("Recommendation"), _("Owner"), _("Status"), _("Progress (%)"), _("Latest note")],
    )
    labels = RecommendationFlow.state_labels
    for item in selectors.recommendations_of_request(case):
        notes = list(item.progress_notes.all())
        latest = f"{date_format(notes[-1].at, 'DATE_FORMAT')}: {notes[-1].note}" if notes else "—"
        recommendations.rows.append(
            [
                (item.text_ar if arabic else "") or item.text or item.text_ar,
                item.owner_organization.display_name if item.owner_organization_id else "—",
                str(labels.get(item.state, item.state)),
                item.progress,
                latest,
            ]
        )
    parts = []
    if outcomes.rows:
        parts.append(dialogue_report.Part("harvested", _("Harvested outcomes"), table=outcomes))
    if recommendations.rows:
        parts.append(
            dialogue_report.Part("tracked_recommendations", _("Recommendations: progress"), table=recommendations)
        )
    return parts
