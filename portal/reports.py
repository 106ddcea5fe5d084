"""The secretariat's dashboard figures: set-based queries, a constant number per page.

Counts come from the requests table; deadlines from the SLA clocks; time spent in each state from
the audit trail (the time between entering a state and leaving it), so the figures can be checked
against the history an auditor exports.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from engine.models import SlaClock
from partners.models import Side
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import DialogueRequest

from .presenters import owner_label

CASE_TYPE = DialogueRequest.case_type()
DAY = 86_400


@dataclass
class Table:
    """A small table: the dashboard draws it as a chart and exports it as CSV."""

    key: str
    title: Any
    columns: list[Any]
    rows: list[list[Any]] = field(default_factory=list)


def by_state() -> Table:
    counts = dict(DialogueRequest.objects.values_list("state").annotate(n=Count("id")).order_by())
    table = Table("by_state", _("Requests by state"), [_("State"), _("Requests")])
    table.rows = [[str(label), counts.get(state, 0)] for state, label in RequestFlow.state_labels.items()]
    return table


def by_theme() -> Table:
    rows = (
        DialogueRequest.objects.values("theme__code", "theme__name", "theme__name_ar")
        .annotate(n=Count("id"))
        .order_by("-n", "theme__code")
    )
    arabic = (get_language() or "").startswith("ar")
    table = Table("by_theme", _("Requests by theme"), [_("Theme"), _("Requests")])
    table.rows = [[(row["theme__name_ar"] if arabic else "") or row["theme__name"], row["n"]] for row in rows]
    return table


def by_side() -> Table:
    counts = dict(
        DialogueRequest.objects.values_list("requesting_organization__side").annotate(n=Count("id")).order_by()
    )
    table = Table("by_side", _("Requests by the requester's side"), [_("Side"), _("Requests")])
    table.rows = [[str(label), counts.get(value, 0)] for value, label in Side.choices]
    return table


def sla_compliance(cases: QuerySet[DialogueRequest] | None = None) -> Table:
    """Per owning party: clocks finished on time, finished late, running, breached now.

    ``cases`` limits the clocks to those requests (the programme report's period and filters).
    """
    clocks = SlaClock.objects.filter(case_type=CASE_TYPE)
    if cases is not None:
        clocks = clocks.filter(case_id__in=cases.values("pk"))
    rows = (
        clocks.values("owner")
        .annotate(
            total=Count("id"),
            finished=Count("id", filter=Q(stopped_at__isnull=False)),
            finished_late=Count("id", filter=Q(stopped_at__isnull=False, breached_at__isnull=False)),
            running=Count("id", filter=Q(stopped_at__isnull=True)),
            breached_now=Count("id", filter=Q(stopped_at__isnull=True, breached_at__isnull=False)),
        )
        .order_by("owner")
    )
    table = Table(
        "sla",
        _("Deadlines kept, by party"),
        [_("Party"), _("Finished"), _("On time (%)"), _("Finished late"), _("Running"), _("Breached now")],
    )
    for row in rows:
        finished = row["finished"]
        on_time = round(100 * (finished - row["finished_late"]) / finished, 1) if finished else None
        table.rows.append(
            [owner_label(row["owner"]), finished, on_time, row["finished_late"], row["running"], row["breached_now"]]
        )
    return table


_STINTS_SQL = """
SELECT to_state, {duration} AS seconds
FROM (
    SELECT to_state, occurred_at,
           LEAD(occurred_at) OVER (PARTITION BY case_id ORDER BY seq) AS left_at
    FROM engine_auditevent
    WHERE case_type = %s AND to_state <> '' AND to_state <> from_state
) stints
WHERE left_at IS NOT NULL
"""
_MEDIAN_SQL_PG = """
SELECT to_state, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), count(*)
FROM ({stints}) timed GROUP BY to_state
"""


def _durations_by_state() -> dict[str, tuple[float, int]]:
    """Median seconds spent in each state (entering it to leaving it), and how many stints."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stints = _STINTS_SQL.format(duration="EXTRACT(EPOCH FROM left_at - occurred_at)")
            cursor.execute(_MEDIAN_SQL_PG.format(stints=stints), [CASE_TYPE])
            return {state: (float(median), count) for state, median, count in cursor.fetchall()}
        stints = _STINTS_SQL.format(duration="(julianday(left_at) - julianday(occurred_at)) * 86400.0")
        cursor.execute(stints, [CASE_TYPE])
        grouped: dict[str, list[float]] = defaultdict(list)
        for state, seconds in cursor.fetchall():
            grouped[state].append(float(seconds))
    return {state: (statistics.median(values), len(values)) for state, values in grouped.items()}


def time_in_state() -> Table:
    medians = _durations_by_state()
    table = Table("time_in_state", _("Median time in each state"), [_("State"), _("Median (days)"), _("Times entered")])
    final = RequestFlow.final_states
    for state, label in RequestFlow.state_labels.items():
        if state in final or state not in medians:
            continue
        median, count = medians[state]
        table.rows.append([str(label), round(median / DAY, 1), count])
    return table


def time_per_party() -> Table:
    """Median calendar days a party's finished clocks ran (start to stop), per party."""
    table = Table("time_per_party", _("Median time per party"), [_("Party"), _("Median (days)"), _("Deadlines")])
    finished = SlaClock.objects.filter(case_type=CASE_TYPE, stopped_at__isnull=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT owner, percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM stopped_at - started_at)),"
                " count(*) FROM engine_slaclock WHERE case_type = %s AND stopped_at IS NOT NULL"
                " GROUP BY owner ORDER BY owner",
                [CASE_TYPE],
            )
            table.rows = [
                [owner_label(owner), round(float(median) / DAY, 1), count] for owner, median, count in cursor.fetchall()
            ]
        return table
    grouped: dict[str, list[float]] = defaultdict(list)
    for owner, started, stopped in finished.values_list("owner", "started_at", "stopped_at").iterator():
        grouped[owner].append((stopped - started).total_seconds())
    table.rows = [
        [owner_label(owner), round(statistics.median(values) / DAY, 1), len(values)]
        for owner, values in sorted(grouped.items())
    ]
    return table


def overview() -> dict[str, Table]:
    tables = [by_state(), by_theme(), by_side(), sla_compliance(), time_in_state(), time_per_party()]
    return {table.key: table for table in tables}
