"""Searching requests and their audit history: filters over the domain's visibility selector."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.dates import parse_date
from engine.models import AuditEvent, SlaClock
from partners.models import Organization
from textsearch import index as textsearch
from workflows.partnership import selectors
from workflows.partnership.models import DialogueRequest

#: The deadline filter (``sla=``): the open clock of the request's current state, as the list shows
#: it (``selectors.with_sla``), or the deadlines a party finished (``party=`` names whose).
SLA_CHOICES = {
    "breached": _("Breached now"),
    "warning": _("Warning"),
    "on_track": _("On track"),
    "running": _("Running (not breached)"),
    "paused": _("Paused"),
    "none": _("No running deadline"),
    "finished": _("With a finished deadline"),
    "met": _("Finished deadlines all kept"),
    "late": _("A deadline finished late"),
}
_FINISHED = {"finished", "met", "late"}
# Query parameters whose name differs from the field's.
_PARAMS = {"date_from": "from", "date_to": "to"}


def sla_q(value: str) -> Q:
    """The requests (annotated by ``selectors.with_sla``) whose current deadline is ``value``.

    The dashboard counts with the same conditions the list filters with, so a figure and the list
    it links to agree.
    """
    running = Q(sla_paused_at__isnull=True)
    # Past its deadline counts as breached at once, as in the queue's urgency order, not only once the
    # periodic scan has marked the clock.
    overdue = Q(sla_due_at__isnull=False, sla_due_at__lte=timezone.now())
    breached = Q(sla_status=SlaClock.Status.BREACHED) | (Q(sla_status__isnull=False) & overdue)
    return {
        "breached": running & breached,
        "warning": running & Q(sla_status=SlaClock.Status.WARNING) & ~overdue,
        "on_track": running & Q(sla_status=SlaClock.Status.ON_TRACK) & ~overdue,
        "running": running & Q(sla_status__in=[SlaClock.Status.ON_TRACK, SlaClock.Status.WARNING]) & ~overdue,
        "paused": Q(sla_status__isnull=False, sla_paused_at__isnull=False),
        "none": Q(sla_status__isnull=True),
    }[value]


def _finished_clocks(party: str) -> QuerySet[SlaClock]:
    clocks = SlaClock.objects.filter(
        case_type=DialogueRequest.case_type(), case_id=OuterRef("pk"), stopped_at__isnull=False
    )
    return clocks.filter(owner=party) if party else clocks


def _attendance(value: str) -> Q | None:
    """The participants ``attended=side:gender`` names (None when it names no side or gender we know)."""
    from partners.models import Side
    from workflows.partnership.models import Participant

    side, colon, gender = value.partition(":")
    if not colon or side not in {"", *Side.values} or gender not in {"", *Participant.Gender.values}:
        return None
    return Q(**{key: item for key, item in (("side", side), ("gender", gender)) if item})


def _parse_date(value: str) -> dt.date | None:
    """A period's end as people type it (day first, or ISO as the dashboard's links write it)."""
    return parse_date(value) if value else None


@dataclass
class RequestFilters:
    q: str = ""
    state: str = ""
    theme: str = ""
    side: str = ""
    # requested by this organization or naming it as counterpart (its id)
    org: str = ""
    # the deadline (SLA_CHOICES), and whose deadline it is (an SLA owner: "secretariat", "parties"...)
    sla: str = ""
    party: str = ""
    # requests that entered this state and left it (what the dashboard's time in a state is measured over)
    passed: str = ""
    # requests whose held sessions someone attended: "side:gender", either part may be empty ("public:", ":")
    attended: str = ""
    # submitted on or after / on or before (YYYY-MM-DD): the dashboard's period
    date_from: str = ""
    date_to: str = ""
    # the queue: assignee=me|none|<user id>, waiting=me, sort=urgency (default)|newest|reference
    assignee: str = ""
    waiting: str = ""
    sort: str = ""

    @classmethod
    def from_query(cls, params: Any) -> RequestFilters:
        return cls(
            q=params.get("q", "").strip()[:200],
            state=params.get("state", "").strip()[:40],
            theme=params.get("theme", "").strip()[:40],
            side=params.get("side", "").strip()[:10],
            org=params.get("org", "").strip()[:20],
            sla=params.get("sla", "").strip()[:20],
            party=params.get("party", "").strip()[:40],
            passed=params.get("passed", "").strip()[:40],
            attended=params.get("attended", "").strip()[:30],
            date_from=params.get("from", "").strip()[:20],
            date_to=params.get("to", "").strip()[:20],
            **queue_filters(params),
        )

    @cached_property
    def errors(self) -> list[Any]:
        """Translated messages for values that cannot be filtered on (the list is then empty)."""
        errors: list[Any] = []
        if self.org and not (self.org.isdigit() and Organization.objects.filter(pk=int(self.org)).exists()):
            errors.append(_("Choose an organization from the list."))
        if self.sla and self.sla not in SLA_CHOICES:
            errors.append(_("Choose a deadline status from the list."))
        if self.party and not self.party.replace("_", "").isalpha():
            errors.append(_("Choose a party from the list."))
        if self.attended and _attendance(self.attended) is None:
            errors.append(_("Choose a side and gender from the list."))
        start, end = _parse_date(self.date_from), _parse_date(self.date_to)
        if self.date_from and start is None:
            errors.append(_("Enter the start of the period as day/month/year, for example 23/11/2026."))
        if self.date_to and end is None:
            errors.append(_("Enter the end of the period as day/month/year, for example 23/11/2026."))
        if start and end and start > end:
            errors.append(_("The end of the period must not be before its start."))
        return errors

    def narrowed(self, **values: str) -> RequestFilters:
        """These filters with ``values`` set (a dashboard figure's link)."""
        return replace(self, **values)

    def as_query(self) -> str:
        from urllib.parse import urlencode

        values = {item.name: getattr(self, item.name) for item in fields(self)}
        return urlencode({_PARAMS.get(key, key): value for key, value in values.items() if value})


def requests(user: Any, filters: RequestFilters) -> QuerySet[DialogueRequest]:
    """Requests ``user`` may see, narrowed by ``filters``, with their open SLA clock."""
    queryset = selectors.visible_requests(user)
    if filters.q:
        # Arabic-normalized full text (title, summary, question, organization, public outcome):
        # الأحداث finds الاحداث; see textsearch.
        queryset = textsearch.search(queryset, filters.q)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.theme:
        queryset = queryset.filter(theme__code=filters.theme)
    if filters.side:
        queryset = queryset.filter(requesting_organization__side=filters.side)
    queryset = _narrow(selectors.with_sla(queryset), filters)
    return narrow_queue(user, queryset, filters)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _narrow(queryset: QuerySet[DialogueRequest], filters: RequestFilters) -> QuerySet[DialogueRequest]:
    """The organization, period, passed-state and deadline filters (the dashboard's click-through),
    over requests annotated by ``selectors.with_sla``."""
    if filters.errors:
        return queryset.none()
    if filters.org:
        through = DialogueRequest.counterpart_organizations.through
        named = through.objects.filter(organization_id=int(filters.org)).values("dialoguerequest_id")
        queryset = queryset.filter(Q(requesting_organization_id=int(filters.org)) | Q(pk__in=named))
    start, end = _parse_date(filters.date_from), _parse_date(filters.date_to)
    if start:
        queryset = queryset.filter(submitted_at__gte=_day_start(start))
    if end:
        queryset = queryset.filter(submitted_at__lt=_day_start(end + dt.timedelta(days=1)))
    if filters.passed:
        left = AuditEvent.objects.filter(
            case_type=DialogueRequest.case_type(), case_id=OuterRef("pk"), from_state=filters.passed
        ).exclude(Q(to_state="") | Q(to_state=filters.passed))
        queryset = queryset.filter(Exists(left))
    if filters.attended:
        from workflows.partnership.models import Meeting, Participant

        present = Participant.objects.filter(
            _attendance(filters.attended) or Q(),
            meeting__request=OuterRef("pk"),
            meeting__status=Meeting.Status.HELD,
            attended=True,
        )
        queryset = queryset.filter(Exists(present))
    if filters.sla in _FINISHED:
        finished = _finished_clocks(filters.party)
        late = finished.filter(breached_at__isnull=False)
        if filters.sla == "finished":
            queryset = queryset.filter(Exists(finished))
        elif filters.sla == "late":
            queryset = queryset.filter(Exists(late))
        else:
            queryset = queryset.filter(Exists(finished)).exclude(Exists(late))
    else:
        if filters.party:
            queryset = queryset.filter(sla_owner=filters.party)
        if filters.sla:
            queryset = queryset.filter(sla_q(filters.sla))
    return queryset


# --- the queue (issue 12): assignee, waiting for me, urgency sort -----------------------------------

SORTS = ("urgency", "newest", "reference")


def queue_filters(params: Any) -> dict[str, str]:
    """The queue's own parameters, kept only when they mean something (anything else is ignored)."""
    assignee = params.get("assignee", "").strip()[:12]
    if assignee not in ("me", "none") and not (assignee.isdigit() and assignee.isascii() and len(assignee) <= 9):
        assignee = ""
    waiting = "me" if params.get("waiting", "").strip() == "me" else ""
    sort = params.get("sort", "").strip()
    return {"assignee": assignee, "waiting": waiting, "sort": sort if sort in SORTS[1:] else ""}


def narrow_queue(user: Any, queryset: QuerySet[DialogueRequest], filters: RequestFilters) -> QuerySet[DialogueRequest]:
    """Narrow by assignee and "waiting for me" (still a QuerySet: the dashboard counts over it)."""
    if filters.assignee == "me":
        queryset = queryset.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee:
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    if filters.waiting == "me":
        queryset = selectors.waiting_for(user, queryset)
    return queryset


def queue(user: Any, filters: RequestFilters) -> Any:
    """The queue's page source: ``requests`` annotated with the open clock and urgency, and sorted."""
    queryset = requests(user, filters).select_related("assignee")
    now = timezone.now()
    if filters.sort == "newest":
        return selectors.with_urgency(queryset, now).order_by("-created_at", "-id")
    if filters.sort == "reference":
        return selectors.with_urgency(queryset, now).order_by("reference")
    # The default: most urgent first, ordered by one join of the open clocks (see UrgentFirst).
    return selectors.UrgentFirst(queryset, now)


def history(text: str) -> QuerySet[AuditEvent]:
    """Audit events, newest first, whose case reference, action or actor is ``text`` (oversight only).

    Exact matches only: the reference is indexed, and a substring search over millions of events
    would scan them all.
    """
    queryset = AuditEvent.objects.select_related("actor").order_by("-occurred_at", "-id")
    text = text.strip()[:200]
    if text:
        queryset = queryset.filter(Q(case_reference=text.upper()) | Q(action=text) | Q(actor_label=text))
    return queryset


def open_action_items(user: Any, *, mine: bool = False, coordinated: list[int] | None = None) -> QuerySet[Any]:
    """Follow-up actions not yet done or dropped, on requests ``user`` may see, soonest due first.

    ``mine`` keeps those owned by the user or by an organization they coordinate.
    """
    from workflows.partnership.models import ActionItem

    queryset = (
        ActionItem.objects.filter(request__in=selectors.visible_requests(user).values("pk"))
        .exclude(status__in=[ActionItem.Status.DONE, ActionItem.Status.DROPPED])
        .select_related("request", "owner_organization", "owner_person")
        .order_by("due_date", "id")
    )
    if mine:
        queryset = queryset.filter(Q(owner_person=user) | Q(owner_organization_id__in=coordinated or []))
    return queryset
