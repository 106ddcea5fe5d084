"""The dashboard's figures: set-based queries, a constant number per page.

Every table is counted over ``cases``: the requests the reader may see, narrowed by the dashboard's
filters (``search.requests``, the same set the request list shows). Counts come from the requests
table; deadlines now from the open clock of each request's current state, as the list shows it
(``selectors.with_sla`` and ``search.sla_q``), finished deadlines from the stopped clocks; time spent
in each state from the audit trail (the time between entering a state and leaving it), so the
figures can be checked against the history an auditor exports.

Each table says the unit of its figures (in its column headers, and ``value_unit`` for the chart),
and ``links`` gives, per (row, column), the request-list filters of the requests behind the figure.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from engine.models import SlaClock
from partners.models import Side
from workflows.partnership import selectors
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import DialogueRequest

from .presenters import owner_label
from .search import SLA_CHOICES, sla_q

CASE_TYPE = DialogueRequest.case_type()
DAY = 86_400


Cases = QuerySet[DialogueRequest] | None


@dataclass
class Table:
    """A small table: the dashboard draws it as a chart and exports it as CSV.

    ``chart_column`` is the column the dashboard draws, its figures in ``value_unit`` (a key of
    :data:`UNITS`); ``links`` maps (row, column) to the request-list filters behind that figure.
    """

    key: str
    title: Any
    columns: list[Any]
    rows: list[list[Any]] = field(default_factory=list)
    links: dict[tuple[int, int], dict[str, str]] = field(default_factory=dict)
    chart_column: int | None = None
    value_unit: str = ""
    # False: the figures count something else than requests (attendances); they link to the set counted over
    counts_requests: bool = True

    def link(self, column: int, **params: str) -> None:
        """The last row's figure in ``column`` links to the requests matching ``params``."""
        self.links[(len(self.rows) - 1, column)] = params


def _number(value: float, decimals: int) -> str:
    return number_format(value, decimal_pos=decimals)


#: unit key -> (decimals, the text of one figure in that unit)
UNITS: dict[str, tuple[int, Any]] = {
    "requests": (
        0,
        lambda n: ngettext("%(counter)s request", "%(counter)s requests", int(n)) % {"counter": _number(n, 0)},
    ),
    "attendances": (
        0,
        lambda n: ngettext("%(count)s attendance", "%(count)s attendances", int(n)) % {"count": _number(n, 0)},
    ),
    "days": (1, lambda n: gettext("%(value)s calendar days") % {"value": _number(n, 1)}),
    "percent": (1, lambda n: gettext("%(value)s%%") % {"value": _number(n, 1)}),
}


def _ids(cases: Cases) -> QuerySet[Any]:
    return (cases if cases is not None else DialogueRequest.objects.all()).values("pk")


def _only(cases: Cases) -> QuerySet[DialogueRequest]:
    """A plain queryset of ``cases`` (no ordering, no prefetch) to count over."""
    return DialogueRequest.objects.filter(pk__in=_ids(cases)).order_by()


def _groups(cases: Cases) -> list[dict[str, Any]]:
    """Requests counted by state, theme and the requester's side, in one query (the first three tables)."""
    return list(
        _only(cases)
        .values("state", "theme__code", "theme__name", "theme__name_ar", "requesting_organization__side")
        .annotate(n=Count("id"))
    )


def _sum(groups: list[dict[str, Any]], key: str) -> dict[Any, int]:
    totals: dict[Any, int] = defaultdict(int)
    for row in groups:
        totals[row[key]] += row["n"]
    return totals


def by_state(cases: Cases = None, groups: list[dict[str, Any]] | None = None) -> Table:
    counts = _sum(_groups(cases) if groups is None else groups, "state")
    table = Table(
        "by_state", _("Requests by state"), [_("State"), _("Number of requests")], chart_column=1, value_unit="requests"
    )
    for state, label in RequestFlow.state_labels.items():
        table.rows.append([str(label), counts.get(state, 0)])
        table.link(1, state=state)
    return table


def by_theme(cases: Cases = None, groups: list[dict[str, Any]] | None = None) -> Table:
    groups = _groups(cases) if groups is None else groups
    counts = _sum(groups, "theme__code")
    names = {row["theme__code"]: (row["theme__name"], row["theme__name_ar"]) for row in groups}
    arabic = (get_language() or "").startswith("ar")
    table = Table(
        "by_theme", _("Requests by theme"), [_("Theme"), _("Number of requests")], chart_column=1, value_unit="requests"
    )
    for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        english, arabic_name = names[code]
        table.rows.append([(arabic_name if arabic else "") or english, n])
        table.link(1, theme=code)
    return table


def by_side(cases: Cases = None, groups: list[dict[str, Any]] | None = None) -> Table:
    counts = _sum(_groups(cases) if groups is None else groups, "requesting_organization__side")
    table = Table(
        "by_side",
        _("Requests by the requester's side"),
        [_("Side"), _("Number of requests")],
        chart_column=1,
        value_unit="requests",
    )
    for value, label in Side.choices:
        table.rows.append([str(label), counts.get(value, 0)])
        table.link(1, side=value)
    return table


#: The rows of "deadlines now", as the request list's ``sla=`` filter names them.
SLA_NOW = ("breached", "warning", "on_track", "paused", "none")


def _current(cases: Cases) -> dict[str | None, dict[str, int]]:
    """Per owner of the current deadline (None: no running deadline): requests by its status, in one
    query over the open clock of each request's current state, as the request list shows it."""
    statuses = {value: Count("id", filter=sla_q(value)) for value in (*SLA_NOW, "running")}
    rows = selectors.with_sla(_only(cases)).values("sla_owner").annotate(**statuses).order_by()
    return {row.pop("sla_owner"): row for row in rows}


def sla_now(cases: Cases = None, current: dict[str | None, dict[str, int]] | None = None) -> Table:
    """Requests by the deadline of their current state, exactly as the request list shows it."""
    current = _current(cases) if current is None else current
    table = Table(
        "sla_now",
        _("Deadlines now"),
        [_("Deadline of the current step"), _("Number of requests")],
        chart_column=1,
        value_unit="requests",
    )
    for value in SLA_NOW:
        table.rows.append([str(SLA_CHOICES[value]), sum(row[value] for row in current.values())])
        table.link(1, sla=value)
    return table


def sla_compliance(cases: Cases = None, current: dict[str | None, dict[str, int]] | None = None) -> Table:
    """Per owning party: requests whose deadlines it finished (all kept, or one late), kept on time
    (%), and requests whose current deadline it holds, running or breached now.

    Breached and running come from the open clock of each request's current state, as the request
    list shows it (``selectors.with_sla``); finished from the stopped clocks. Every figure counts
    requests, so each links to the list of them. ``cases`` limits the requests (the dashboard's
    filters, the programme report's period).
    """
    current = _current(cases) if current is None else current
    now = {owner: row for owner, row in current.items() if owner is not None}
    finished_rows = (
        SlaClock.objects.filter(case_type=CASE_TYPE, case_id__in=_ids(cases), stopped_at__isnull=False)
        .values("owner")
        .annotate(
            finished=Count("case_id", distinct=True),
            late=Count("case_id", distinct=True, filter=Q(breached_at__isnull=False)),
        )
        .order_by()
    )
    finished = {row["owner"]: row for row in finished_rows}
    table = Table(
        "sla",
        _("Deadlines kept, by party"),
        [
            _("Party"),
            _("Finished (requests)"),
            _("On time (%)"),
            _("Finished late (requests)"),
            _("Running now (requests)"),
            _("Breached now (requests)"),
        ],
        chart_column=5,
        value_unit="requests",
    )
    for owner in sorted({*now, *finished}):
        done = finished.get(owner, {"finished": 0, "late": 0})
        current_row = now.get(owner, {"running": 0, "breached": 0})
        on_time = round(100 * (done["finished"] - done["late"]) / done["finished"], 1) if done["finished"] else None
        table.rows.append(
            [
                owner_label(owner),
                done["finished"],
                on_time,
                done["late"],
                current_row["running"],
                current_row["breached"],
            ]
        )
        table.link(1, sla="finished", party=owner)
        if on_time is not None:
            table.link(2, sla="finished", party=owner)
        table.link(3, sla="late", party=owner)
        table.link(4, sla="running", party=owner)
        table.link(5, sla="breached", party=owner)
    return table


_STINTS_SQL = """
SELECT case_id, to_state, {duration} AS seconds
FROM (
    SELECT case_id, to_state, occurred_at,
           LEAD(occurred_at) OVER (PARTITION BY case_id ORDER BY seq) AS left_at
    FROM engine_auditevent
    WHERE case_type = %s AND to_state <> '' AND to_state <> from_state{cases}
) stints
WHERE left_at IS NOT NULL
"""
_MEDIAN_SQL_PG = """
SELECT to_state, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), count(DISTINCT case_id)
FROM ({stints}) timed GROUP BY to_state
"""


def _durations_by_state(cases: Cases = None) -> dict[str, tuple[float, int]]:
    """Median seconds spent in each state (entering it to leaving it), and how many requests left it."""
    where, params = "", [CASE_TYPE]
    if cases is not None:
        ids_sql, ids_params = cases.values("pk").order_by().query.sql_with_params()
        where, params = f" AND case_id IN ({ids_sql})", [CASE_TYPE, *ids_params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stints = _STINTS_SQL.format(duration="EXTRACT(EPOCH FROM left_at - occurred_at)", cases=where)
            cursor.execute(_MEDIAN_SQL_PG.format(stints=stints), params)
            return {state: (float(median), count) for state, median, count in cursor.fetchall()}
        stints = _STINTS_SQL.format(duration="(julianday(left_at) - julianday(occurred_at)) * 86400.0", cases=where)
        cursor.execute(stints, params)
        grouped: dict[str, list[float]] = defaultdict(list)
        requests: dict[str, set[int]] = defaultdict(set)
        for case_id, state, seconds in cursor.fetchall():
            grouped[state].append(float(seconds))
            requests[state].add(case_id)
    return {state: (statistics.median(values), len(requests[state])) for state, values in grouped.items()}


def time_in_state(cases: Cases = None) -> Table:
    """Median calendar days from entering a state to leaving it, over the requests that left it."""
    medians = _durations_by_state(cases)
    table = Table(
        "time_in_state",
        _("Median time in each state"),
        [_("State"), _("Median (calendar days)"), _("Requests that left it")],
        chart_column=1,
        value_unit="days",
    )
    final = RequestFlow.final_states
    for state, label in RequestFlow.state_labels.items():
        if state in final or state not in medians:
            continue
        median, count = medians[state]
        table.rows.append([str(label), round(median / DAY, 1), count])
        table.link(1, passed=state)
        table.link(2, passed=state)
    return table


_PARTY_MEDIAN_SQL_PG = """
SELECT owner, percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM stopped_at - started_at)),
       count(DISTINCT case_id)
FROM engine_slaclock
WHERE case_type = %s AND stopped_at IS NOT NULL AND case_id IN ({cases})
GROUP BY owner ORDER BY owner
"""


def time_per_party(cases: Cases = None) -> Table:
    """Median calendar days a party's finished clocks ran (start to stop), and the requests they ran on."""
    table = Table(
        "time_per_party",
        _("Median time per party"),
        [_("Party"), _("Median (calendar days)"), _("Requests with a finished deadline")],
        chart_column=1,
        value_unit="days",
    )
    finished = SlaClock.objects.filter(case_type=CASE_TYPE, case_id__in=_ids(cases), stopped_at__isnull=False)
    grouped: dict[str, list[float]] = defaultdict(list)
    requests: dict[str, set[int]] = defaultdict(set)
    if connection.vendor == "postgresql":
        ids_sql, ids_params = _ids(cases).order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            # ids_sql is Django's own SQL for the requests' ids, with its parameters passed separately.
            cursor.execute(_PARTY_MEDIAN_SQL_PG.format(cases=ids_sql), [CASE_TYPE, *ids_params])
            medians = [(owner, float(median), count) for owner, median, count in cursor.fetchall()]
    else:
        for owner, case_id, started, stopped in finished.values_list(
            "owner", "case_id", "started_at", "stopped_at"
        ).iterator():
            grouped[owner].append((stopped - started).total_seconds())
            requests[owner].add(case_id)
        medians = [
            (owner, statistics.median(values), len(requests[owner])) for owner, values in sorted(grouped.items())
        ]
    for owner, median, count in medians:
        table.rows.append([owner_label(owner), round(median / DAY, 1), count])
        table.link(1, sla="finished", party=owner)
        table.link(2, sla="finished", party=owner)
    return table


def attendance(cases: Cases = None) -> Table:
    """People present at held sessions (attendances over every dialogue series), by side and gender.

    These count attendances (a person at two sessions counts twice), not requests: each figure links
    to the requests whose held sessions those people attended.
    """
    from workflows.partnership import sessions
    from workflows.partnership.models import Participant

    figures = sessions.figures_for(_ids(cases))
    genders = Participant.Gender.choices
    table = Table(
        "attendance",
        _("Attendance at dialogue sessions by side and gender"),
        [_("Side"), *[label for _value, label in genders], _("Total (attendances)")],
        chart_column=len(genders) + 1,
        value_unit="attendances",
    )
    table.counts_requests = False
    for side, label in [*Side.choices, ("", _("Total"))]:
        by_gender = figures["by_side_and_gender"][side] if side else figures["by_gender"]
        total = figures["by_side"][side] if side else figures["attended"]
        table.rows.append([str(label), *[by_gender[gender] for gender, _label in genders], total])
        for column, (gender, _label) in enumerate(genders, start=1):
            table.link(column, attended=f"{side}:{gender}")
        table.link(len(genders) + 1, attended=f"{side}:")
    return table


BUILDERS = {
    "by_state": by_state,
    "by_theme": by_theme,
    "by_side": by_side,
    "sla_now": sla_now,
    "sla": sla_compliance,
    "time_in_state": time_in_state,
    "time_per_party": time_per_party,
    "attendance": attendance,
}


def overview(cases: Cases = None) -> dict[str, Table]:
    """Every table (the tables sharing a query are built from one)."""
    groups, current = _groups(cases), _current(cases)
    tables = [
        by_state(cases, groups),
        by_theme(cases, groups),
        by_side(cases, groups),
        sla_now(cases, current),
        sla_compliance(cases, current),
        time_in_state(cases),
        time_per_party(cases),
        attendance(cases),
    ]
    return {table.key: table for table in tables}
