"""Reads of the partnership domain, each a constant number of queries however many requests there are."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from engine.models import AuditEvent, SlaClock
from partners.models import Theme
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
        .select_related("created_by", "outcome", "outcome__documented_by")
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
