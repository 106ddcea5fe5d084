"""Reads of the partnership domain, each a constant number of queries however many requests there are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from engine.models import AuditEvent, SlaClock
from partners.models import Organization, Theme
from partners.selectors import user_access

from . import flows
from .models import (
    ActionItem,
    ActionUpdate,
    Attachment,
    Attendance,
    ConflictDeclaration,
    DialogueRequest,
    InfoRequest,
    Meeting,
    MinutesConfirmation,
    MinutesCorrection,
    Outcome,
    Vote,
)

CASE_TYPE = DialogueRequest.case_type()
OVERSIGHT_ROLES = {"secretariat", "secretariat_lead", "auditor", "committee"}
Counterparts = DialogueRequest.counterpart_organizations.through


def _base() -> QuerySet[DialogueRequest]:
    return (
        DialogueRequest.objects.select_related("theme", "requesting_organization")
        .prefetch_related("counterpart_organizations")
        .order_by("-updated_at", "-id")
    )


def _own_or_counterpart(organization_ids: set[int]) -> Q:
    """Requests made by one of ``organization_ids`` (drafts too), or naming one as counterpart once accepted.

    Written as ``id IN (own UNION counterpart)``: each branch is read from an index alone (the
    requesting organization's with the id; the counterpart link's by organization, with the partial
    index of accepted requests), and the page is then sorted from that small set.
    ``own OR counterpart`` over the request table made PostgreSQL walk the whole activity index
    and test every row, slow exactly when the organization sees few of many requests.
    """
    quote = connection.ops.quote_name
    requests = quote(DialogueRequest._meta.db_table)
    links = quote(Counterparts._meta.db_table)
    ids = sorted(organization_ids)
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT r.id FROM {requests} r WHERE r.requesting_organization_id IN ({marks}) "  # noqa: S608
        f"UNION SELECT c.dialoguerequest_id FROM {links} c JOIN {requests} r ON r.id = c.dialoguerequest_id "
        f"WHERE c.organization_id IN ({marks}) AND r.accepted_at IS NOT NULL"
    )
    return Q(pk__in=RawSQL(sql, [*ids, *ids]))


def visible_requests(user: Any) -> QuerySet[DialogueRequest]:
    """What ``user`` may see: own organizations' requests (drafts too), counterpart requests once
    accepted; the secretariat, committee and auditors see every request that left its draft."""
    if user is None or not getattr(user, "is_authenticated", False):
        return DialogueRequest.objects.none()
    access = user_access(user)
    own = Q(requesting_organization_id__in=access.organization_ids)
    if access.roles & OVERSIGHT_ROLES:
        return _base().filter(~Q(state=flows.DRAFT) | own)
    if not access.organization_ids:
        return DialogueRequest.objects.none()
    return _base().filter(_own_or_counterpart(access.organization_ids))


def my_requests(user: Any) -> QuerySet[DialogueRequest]:
    """Requests ``user``'s organizations made or are counterparts to (accepted ones), newest activity first."""
    access = user_access(user)
    if not access.organization_ids:
        return DialogueRequest.objects.none()
    return _base().filter(_own_or_counterpart(access.organization_ids))


def _open_clock(state: Any = None) -> QuerySet[SlaClock]:
    clocks = SlaClock.objects.filter(case_type=CASE_TYPE, case_id=OuterRef("pk"), stopped_at__isnull=True)
    return clocks.filter(state=state if state is not None else OuterRef("state")).order_by("-started_at")


def with_sla(queryset: QuerySet[DialogueRequest]) -> QuerySet[DialogueRequest]:
    """Annotate the open clock of each request's current state: sla_owner, sla_due_at, sla_status, sla_paused_at."""
    clock = _open_clock()
    return queryset.annotate(
        sla_owner=Subquery(clock.values("owner")[:1]),
        sla_due_at=Subquery(clock.values("due_at")[:1]),
        sla_status=Subquery(clock.values("status")[:1]),
        sla_paused_at=Subquery(clock.values("paused_at")[:1]),
    )


# --- the secretariat's queue ------------------------------------------------------------------

#: The urgency buckets of the queue's default order (``with_urgency``): breached clocks first, then
#: running ones, paused ones, and requests with no open clock last.
BREACHED, RUNNING, PAUSED, NO_CLOCK = 0, 1, 2, 3


def with_urgency(queryset: QuerySet[DialogueRequest], now: Any) -> QuerySet[DialogueRequest]:
    """``with_sla`` plus ``urgency`` (a bucket above) and ``sla_left_seconds`` (business seconds a paused
    clock has left), computed by the database so a page of the queue sorts in its one query."""
    clock = _open_clock()
    left = clock.annotate(left=F("allowance_seconds") - F("consumed_seconds")).values("left")[:1]
    queryset = with_sla(queryset).annotate(sla_left_seconds=Subquery(left))
    # A clock is breached once the scan marked it, or as soon as its deadline passed (between scans).
    urgency = Case(
        When(sla_status=SlaClock.Status.BREACHED, then=Value(BREACHED)),
        When(sla_paused_at__isnull=False, then=Value(PAUSED)),
        When(sla_due_at__lte=now, then=Value(BREACHED)),
        When(sla_status__isnull=False, then=Value(RUNNING)),
        default=Value(NO_CLOCK),
        output_field=IntegerField(),
    )
    return queryset.annotate(urgency=urgency)


def by_urgency(queryset: QuerySet[DialogueRequest]) -> QuerySet[DialogueRequest]:
    """Breached first (most overdue first), running by deadline (least time left first), paused by the
    time they will have left, no clock last; ties by reference. Needs ``with_urgency``."""
    return queryset.order_by(
        "urgency",
        F("sla_due_at").asc(nulls_last=True),
        F("sla_left_seconds").asc(nulls_last=True),
        "reference",
    )


class UrgentFirst:
    """``queryset`` in urgency order (``by_urgency``'s order), page by page, for a ``Paginator``.

    Sorting by the correlated subqueries of ``with_urgency`` evaluates them for every row before the
    sort: seconds over 100,000 requests. Here one LEFT JOIN of the open clocks orders the ids and takes
    the page's slice (``LIMIT``/``OFFSET``); only the page's rows are then read with ``with_urgency``.
    Two queries a page (plus ``count()``), whatever the number of requests.
    """

    def __init__(self, queryset: QuerySet[DialogueRequest], now: Any) -> None:
        self.queryset = queryset
        self.now = now

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def _ids(self, offset: int, limit: int) -> list[int]:
        quote = connection.ops.quote_name
        try:
            inner, params = self.queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # .none(): a refused filter, or nobody it could be waiting for
            return []
        breached = SlaClock.Status.BREACHED
        # Buckets as in ``with_urgency``: breached (scanned, or past due and running) 0, running 1,
        # paused 2, no open clock 3; MIN() keeps one row per request if a state had two open clocks.
        sql = (
            f"SELECT r.id FROM {quote(DialogueRequest._meta.db_table)} r "  # noqa: S608 - names are quoted
            f"LEFT JOIN {quote(SlaClock._meta.db_table)} k ON k.case_type = %s AND k.case_id = r.id "
            "AND k.stopped_at IS NULL AND k.state = r.state "
            f"WHERE r.id IN ({inner}) GROUP BY r.id, r.reference ORDER BY "
            "MIN(CASE WHEN k.id IS NULL THEN 3 WHEN k.status = %s THEN 0 WHEN k.paused_at IS NOT NULL THEN 2 "
            "WHEN k.due_at <= %s THEN 0 ELSE 1 END), "
            "CASE WHEN MIN(k.due_at) IS NULL THEN 1 ELSE 0 END, MIN(k.due_at), "
            "CASE WHEN MIN(k.allowance_seconds - k.consumed_seconds) IS NULL THEN 1 ELSE 0 END, "
            "MIN(k.allowance_seconds - k.consumed_seconds), r.reference "
            "LIMIT %s OFFSET %s"
        )
        now = connection.ops.adapt_datetimefield_value(self.now)
        with connection.cursor() as cursor:
            cursor.execute(sql, [CASE_TYPE, *params, breached, now, limit, offset])
            return [row[0] for row in cursor.fetchall()]

    def __getitem__(self, item: Any) -> list[DialogueRequest]:
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        start = item.start or 0
        stop = item.stop if item.stop is not None else start + 1000
        ids = self._ids(start, max(0, stop - start))
        rows = {row.pk: row for row in with_urgency(self.queryset.filter(pk__in=ids), self.now)}
        return [rows[pk] for pk in ids if pk in rows]


#: Why a request waits for a person (``waiting_for``'s ``waiting_why``).
WAITING_ASSIGNED, WAITING_VOTE, WAITING_PARTY = "assigned", "vote", "party"


def _clock_owned_by(*owners: str) -> Exists:
    """The request's open clock of its current state is owned by one of ``owners``."""
    return Exists(_open_clock().filter(owner__in=owners))


def _party_turn(coordinated: set[int]) -> Q:
    """The open clock is owned by a party whose coordinator this person is (for the parties' minutes:
    one of their organizations that has not confirmed them yet)."""
    ids = sorted(coordinated)
    counterpart = Exists(Counterparts.objects.filter(dialoguerequest_id=OuterRef("pk"), organization_id__in=ids))
    link = Counterparts.objects.filter(dialoguerequest_id=OuterRef(OuterRef("pk")), organization_id=OuterRef("pk"))
    confirmed = MinutesConfirmation.objects.filter(
        outcome__request_id=OuterRef(OuterRef("pk")), organization_id=OuterRef("pk")
    )
    unconfirmed_party = Exists(
        Organization.objects.filter(pk__in=ids)
        .filter(Q(pk=OuterRef("requesting_organization_id")) | Q(Exists(link)))
        .exclude(Exists(confirmed))
    )
    own = Q(requesting_organization_id__in=ids)
    # The cheap organization tests come first: the clock is looked up only for this person's requests.
    return (
        (own & Q(_clock_owned_by("requester")))
        | (Q(counterpart) & Q(_clock_owned_by("counterpart", "counterparts")))
        | ((own | Q(counterpart)) & Q(_clock_owned_by("parties", "party")) & Q(unconfirmed_party))
    )


def waiting_for(user: Any, queryset: QuerySet[DialogueRequest] | None = None) -> QuerySet[DialogueRequest]:
    """Requests whose next step is ``user``'s, with ``waiting_why``: assigned to them while the turn is
    the secretariat's, a vote of theirs still pending, or the open clock owned by a party they coordinate.

    The request page's "waiting for you" notice asks the same question of one request (``waiting_reason``).
    """
    access = user_access(user)
    queryset = queryset if queryset is not None else visible_requests(user)
    conditions: list[tuple[Q, str]] = []
    if access.roles & {"secretariat", "secretariat_lead"}:
        # Not while another party has the turn (the requester answering, the committee voting).
        others_turn = Exists(_open_clock().exclude(owner="secretariat"))
        assigned = Q(assignee_id=user.pk) & ~Q(state__in=flows.RequestFlow.final_states) & ~Q(others_turn)
        conditions.append((assigned, WAITING_ASSIGNED))
    if access.seat is not None:
        conditions.append((Q(pk__in=awaiting_my_vote(user).order_by().values("pk")), WAITING_VOTE))
    if access.coordinated_ids:
        conditions.append((_party_turn(set(access.coordinated_ids)), WAITING_PARTY))
    if not conditions:
        return queryset.annotate(waiting_why=Value("", output_field=CharField())).none()
    wanted = Q()
    for condition, _why in conditions:
        wanted |= condition
    why = Case(*(When(condition, then=Value(code)) for condition, code in conditions), output_field=CharField())
    return queryset.filter(wanted).annotate(waiting_why=why)


def waiting_reason(case: DialogueRequest, user: Any) -> str:
    """Why ``case`` waits for ``user`` ("" when it does not): ``waiting_for`` asked of one request.

    Asked of the database only when one of its conditions could hold, so most pages pay nothing.
    """
    access = user_access(user)
    could = (
        (case.assignee_id is not None and case.assignee_id == getattr(user, "pk", None))
        or (access.seat is not None and case.state == flows.IN_COMMITTEE)
        or bool(access.coordinated_ids)
    )
    if not could:
        return ""
    found = waiting_for(user, DialogueRequest.objects.filter(pk=case.pk)).values_list("waiting_why", flat=True)
    return next(iter(found), "")


def triage_queue(user: Any = None) -> QuerySet[DialogueRequest]:
    """The secretariat's desk: submitted requests and those waiting for the requester, soonest due first."""
    if user is not None and not (user_access(user).roles & {"secretariat", "secretariat_lead"}):
        return DialogueRequest.objects.none()
    queryset = with_sla(_base().filter(state__in=[flows.SUBMITTED, flows.INFO_REQUESTED]))
    # While the requester has the turn, the secretariat's own (paused) triage clock still matters.
    triage = _open_clock(flows.SUBMITTED)
    queryset = queryset.annotate(
        triage_due_at=Subquery(triage.values("due_at")[:1]),
        triage_consumed_seconds=Subquery(triage.values("consumed_seconds")[:1]),
    )
    return queryset.order_by("state", "sla_due_at", "submitted_at", "id")


def awaiting_my_vote(user: Any) -> QuerySet[DialogueRequest]:
    """Requests before the committee on which ``user`` may vote and has not voted in the current round."""
    access = user_access(user)
    seat = access.seat
    if seat is None:
        return DialogueRequest.objects.none()
    conflicted_orgs = set(access.organization_ids)
    if seat.organization_id:
        conflicted_orgs.add(seat.organization_id)
    voted = Vote.objects.filter(request=OuterRef("pk"), member=user, round=OuterRef("vote_round"))
    declared = ConflictDeclaration.objects.filter(request=OuterRef("pk"), member=user)
    counterpart = Counterparts.objects.filter(dialoguerequest_id=OuterRef("pk"), organization_id__in=conflicted_orgs)
    queryset = (
        _base()
        .filter(state=flows.IN_COMMITTEE)
        .exclude(Exists(voted))
        .exclude(Exists(declared))
        .exclude(requesting_organization_id__in=conflicted_orgs)
        .exclude(Exists(counterpart))
    )
    return with_sla(queryset).order_by("sla_due_at", "id")


def overdue(user: Any = None) -> QuerySet[DialogueRequest]:
    """Requests with a breached, still open clock (limited to what ``user`` may see when given)."""
    breached = SlaClock.objects.filter(
        case_type=CASE_TYPE, case_id=OuterRef("pk"), stopped_at__isnull=True, status=SlaClock.Status.BREACHED
    ).order_by("due_at")
    queryset = visible_requests(user) if user is not None else _base()
    return (
        queryset.filter(Exists(breached))
        .annotate(
            breached_state=Subquery(breached.values("state")[:1]),
            breached_owner=Subquery(breached.values("owner")[:1]),
            breached_due_at=Subquery(breached.values("due_at")[:1]),
            breached_at=Subquery(breached.values("breached_at")[:1]),
        )
        .order_by("breached_due_at", "id")
    )


def request_detail(reference: str, user: Any) -> DialogueRequest:
    """One request with everything its page shows, or ``DialogueRequest.DoesNotExist`` when not visible.

    Adds ``sla_clocks`` (list of SlaClock) and ``history`` (list of AuditEvent, oldest first).
    """
    meetings = Meeting.objects.select_related("organizer").prefetch_related(
        "invitees",
        "changes",
        "participants",
        Prefetch("attendance", queryset=Attendance.objects.select_related("organization")),
    )
    request = (
        visible_requests(user)
        .select_related("created_by", "assignee", "outcome", "outcome__documented_by")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
            Prefetch("info_requests", queryset=InfoRequest.objects.select_related("asked_by", "answered_by")),
            Prefetch("votes", queryset=Vote.objects.select_related("member")),
            Prefetch("conflicts", queryset=ConflictDeclaration.objects.select_related("member")),
            Prefetch("meetings", queryset=meetings),
            Prefetch(
                "outcome__confirmations",
                queryset=MinutesConfirmation.objects.select_related("organization", "confirmed_by"),
            ),
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.select_related("owner_organization", "owner_person").prefetch_related(
                    Prefetch("updates", queryset=ActionUpdate.objects.select_related("by"))
                ),
            ),
        )
        .get(reference=reference)
    )
    request.sla_clocks = list(SlaClock.objects.filter(case_type=CASE_TYPE, case_id=request.pk).order_by("started_at"))
    request.history = list(
        AuditEvent.objects.filter(case_type=CASE_TYPE, case_id=request.pk).select_related("actor").order_by("seq")
    )
    return request


@dataclass
class MinutesRound:
    """Where the confirmation of a request's minutes stands: who must still confirm, who objected."""

    #: party organizations that have not confirmed the current minutes (the requester first)
    waiting: list[Any] = field(default_factory=list)
    #: party organizations that have, with their confirmation rows
    confirmed: list[MinutesConfirmation] = field(default_factory=list)
    #: correction requests the secretariat has not answered yet
    pending: list[MinutesCorrection] = field(default_factory=list)
    #: the version of the minutes to confirm (1 as documented, more once revised)
    revision: int = 1

    @property
    def waits_for_secretariat(self) -> bool:
        return bool(self.pending)


def awaits_minutes(request: DialogueRequest) -> bool:
    return request.state == flows.OUTCOME_DOCUMENTED and request.minutes_confirmed_at is None


def minutes_rounds(requests: Iterable[DialogueRequest]) -> dict[int, MinutesRound]:
    """The confirmation round of each request whose minutes await the parties (three queries for any number).

    Uses each request's requesting organization and counterparts as loaded (``_base`` prefetches them).
    """
    waiting = [request for request in requests if awaits_minutes(request)]
    if not waiting:
        return {}
    ids = [request.pk for request in waiting]
    confirmations: dict[int, list[MinutesConfirmation]] = {pk: [] for pk in ids}
    for row in MinutesConfirmation.objects.filter(outcome__request_id__in=ids).select_related(
        "organization", "outcome"
    ):
        confirmations[row.outcome.request_id].append(row)
    pending: dict[int, list[MinutesCorrection]] = {pk: [] for pk in ids}
    corrections = MinutesCorrection.objects.filter(
        outcome__request_id__in=ids, status=MinutesCorrection.Status.PENDING
    ).select_related("organization", "outcome", "requested_by")
    for item in corrections:
        pending[item.outcome.request_id].append(item)
    revisions = dict(Outcome.objects.filter(request_id__in=ids).values_list("request_id", "minutes_revision"))
    rounds = {}
    for request in waiting:
        done = {row.organization_id for row in confirmations[request.pk]}
        parties = [request.requesting_organization, *request.counterpart_organizations.all()]
        rounds[request.pk] = MinutesRound(
            waiting=[organization for organization in parties if organization.pk not in done],
            confirmed=confirmations[request.pk],
            pending=pending[request.pk],
            revision=revisions.get(request.pk, 1),
        )
    return rounds


def outcome_visible_to(request: DialogueRequest, user: Any) -> bool:
    """Public outcomes are for everyone once published; restricted ones for the parties and oversight."""
    try:
        outcome = request.outcome
    except Outcome.DoesNotExist:
        return False
    if outcome.visibility == Outcome.Visibility.PUBLIC and request.published:
        return True
    access = user_access(user)
    if access.roles & OVERSIGHT_ROLES:
        return True
    parties = {request.requesting_organization_id, *(org.pk for org in request.counterpart_organizations.all())}
    return bool(access.organization_ids & parties)


def published_outcomes() -> QuerySet[DialogueRequest]:
    """Requests whose public outcome is published, for the transparency portal (no restricted material)."""
    return (
        DialogueRequest.objects.filter(published=True, outcome__visibility=Outcome.Visibility.PUBLIC)
        .select_related("theme", "requesting_organization", "outcome")
        .prefetch_related("counterpart_organizations", "action_items__owner_organization")
        .order_by("-published_at", "-id")
    )


def published_restricted_summaries() -> QuerySet[DialogueRequest]:
    """Requests whose restricted outcome has a public summary, once the minutes are confirmed (when a public
    outcome is published): only those words are public, never the outcome itself."""
    return (
        DialogueRequest.objects.filter(
            minutes_confirmed_at__isnull=False, outcome__visibility=Outcome.Visibility.RESTRICTED
        )
        .exclude(outcome__public_summary="")
        .select_related("theme", "outcome")
        .only(
            "reference",
            "title",
            "published_at",
            "theme__code",
            "theme__name",
            "theme__name_ar",
            "outcome__public_summary",
            "outcome__visibility",
        )  # fmt: skip
        .order_by("-published_at", "-id")
    )


def themes() -> QuerySet[Theme]:
    """Every theme, in display order, for GET /api/v1/themes/ ({code, name, name_ar})."""
    return Theme.objects.order_by("ordering", "code")


def reader_role(user: Any, request: DialogueRequest) -> str:
    """The capacity in which ``user`` reads ``request``'s restricted material (for the access log)."""
    from . import committee

    roles = user_access(user).roles
    for role in ("auditor", "secretariat_lead", "secretariat"):
        if role in roles:
            return role
    if user_access(user).organization_ids & committee.party_organization_ids(request):
        return "party"
    if "committee" in roles:
        return "committee_member"
    return ""
