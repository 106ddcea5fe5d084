"""Views of the partnership API: parse, call the service, render. The services hold the rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

import engine
from api.cases import IDEMPOTENCY_PARAMETER, CaseEndpoints, idempotent_create
from api.errors import ApiError
from api.inputs import check_body
from api.schema import error_response
from api.views import ApiView, GenericApiView
from engine import verification
from engine.audit import RequestContext
from engine.models import AccessLogEntry
from partners import selectors as partner_selectors
from partners.models import Organization
from textsearch import index as textsearch

from .. import selectors, services
from ..models import ActionItem, DialogueRequest, Meeting, Outcome, SeatAbsence, Vote
from . import access
from .serializers import (
    REQUEST_ROWS,
    AbsenceSerializer,
    AccessLogEntrySerializer,
    AccessLogFilterSerializer,
    ActionItemInputSerializer,
    ActionItemSerializer,
    ActionItemUpdateSerializer,
    AuditVerifyJobSerializer,
    AuditVerifySerializer,
    ConflictInputSerializer,
    ConflictSerializer,
    MeSerializer,
    OrganizationFilterSerializer,
    OrganizationSerializer,
    RequestDetailSerializer,
    RequestFilterSerializer,
    RequestInputSerializer,
    RequestSerializer,
    ThemeSerializer,
    VoteInputSerializer,
    VoteResultSerializer,
    VoteSerializer,
)

TAG = "requests"

REQUEST_EXAMPLE = {
    "title": "Alternatives to detention for minors",
    "summary": "A roundtable on diversion measures in the juvenile justice law.",
    "theme": "juvenile-justice",
    "format": "roundtable",
    "requesting_organization": 3,
    "counterpart_organizations": [7],
}


def query(request: Request) -> dict[str, str]:
    """Query parameters as a plain dict, so an empty value (``?state=``) is refused, not ignored."""
    return request.query_params.dict()


# --- reads shared by the views -------------------------------------------------------------------


def with_rows(queryset: QuerySet[DialogueRequest]) -> QuerySet[DialogueRequest]:
    """What a request's answer shows, fetched in a constant number of queries however many rows."""
    # A plain lookup (organizations' default order is by name): the selectors prefetch the same one.
    return queryset.select_related("theme", "requesting_organization", "created_by", "assignee").prefetch_related(
        "counterpart_organizations"
    )


def with_details(queryset: QuerySet[DialogueRequest]) -> QuerySet[DialogueRequest]:
    return with_rows(queryset).select_related("outcome").prefetch_related("meetings")


def restricted_outcome(request: DialogueRequest) -> bool:
    try:
        return request.outcome.visibility == Outcome.Visibility.RESTRICTED
    except Outcome.DoesNotExist:
        return False


def audit_restricted_read(request: Request, case: DialogueRequest, what: str) -> None:
    """Reading a restricted outcome is written to the access log: no case lock, no change, no notification."""
    if restricted_outcome(case) and access.may_read_restricted(request.user, case):
        engine.record_read(
            case,
            actor=request.user,
            actor_role=access.actor_role(request.user, case),
            what=what,
            context=RequestContext.from_request(request),
        )


def run_transition(case: DialogueRequest, name: str, **options: Any) -> DialogueRequest:
    return services.request_transition(request=case, name=name, **options)


def history_allowed(user: Any, case: DialogueRequest) -> bool:
    return not restricted_outcome(case) or access.may_read_restricted(user, case)


requests_endpoints = CaseEndpoints(
    model=DialogueRequest,
    prefix="requests",
    basename="request",
    tag=TAG,
    serializer_class=RequestDetailSerializer,
    visible=access.visible_requests,
    runner=run_transition,
    with_details=with_details,
    serializer_context=lambda request: {
        "may_read_restricted": lambda case: access.may_read_restricted(request.user, case)
    },
    history_allowed=history_allowed,
    on_read=lambda request, case: audit_restricted_read(request, case, "history"),
)


# --- who am I, organizations, themes ----------------------------------------------------------------


class MeView(ApiView):
    @extend_schema(operation_id="me", tags=["people"], responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        """The caller: username, roles and the organizations they act for."""
        user_access = partner_selectors.user_access(request.user)
        organizations = [
            {
                "id": membership.organization.pk,
                "name": membership.organization.name,
                "name_ar": membership.organization.name_ar,
                "side": membership.organization.side,
                "role": membership.role,
            }
            for membership in user_access.memberships
        ]
        body = {
            "username": request.user.get_username(),
            "roles": sorted(user_access.roles),
            "organizations": organizations,
        }
        return Response(MeSerializer(body).data)


class OrganizationListView(GenericApiView):
    filter_serializer_class = OrganizationFilterSerializer

    @extend_schema(
        operation_id="organizations_list",
        tags=["people"],
        parameters=[OrganizationFilterSerializer],
        responses={200: OrganizationSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """Active member organizations; `side` is `public` or `civil`."""
        filters = OrganizationFilterSerializer(data=query(request))
        filters.is_valid(raise_exception=True)
        queryset = Organization.objects.filter(active=True).order_by("name", "id")
        if side := filters.validated_data.get("side"):
            queryset = queryset.filter(side=side)
        if search := filters.validated_data.get("search"):
            queryset = queryset.filter(
                Q(name__icontains=search) | Q(name_ar__icontains=search) | Q(acronym__icontains=search)
            )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(OrganizationSerializer(page, many=True).data)


class ThemeListView(GenericApiView):
    @extend_schema(operation_id="themes_list", tags=["people"], responses={200: ThemeSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Policy themes a dialogue can be about."""
        page = self.paginate_queryset(selectors.themes())
        return self.get_paginated_response(ThemeSerializer(page, many=True).data)


# --- requests -------------------------------------------------------------------------------------


class RequestListView(GenericApiView):
    filter_serializer_class = RequestFilterSerializer

    @extend_schema(
        operation_id="requests_list",
        tags=[TAG],
        parameters=[RequestFilterSerializer],
        responses={200: RequestSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """The requests the caller may see, newest first."""
        filters = RequestFilterSerializer(data=query(request))
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        queryset = access.visible_requests(request.user)
        if "state" in wanted:
            queryset = queryset.filter(state=wanted["state"])
        if "theme" in wanted:
            queryset = queryset.filter(theme__code=wanted["theme"])
        if "organization" in wanted:
            through = DialogueRequest.counterpart_organizations.through
            counterpart_of = through.objects.filter(organization_id=wanted["organization"]).values("dialoguerequest_id")
            queryset = queryset.filter(Q(requesting_organization_id=wanted["organization"]) | Q(pk__in=counterpart_of))
        if search := wanted.get("search"):
            queryset = queryset.filter(
                Q(reference__icontains=search) | Q(title__icontains=search) | Q(summary__icontains=search)
            )
        if text := wanted.get("q"):
            queryset = textsearch.search(queryset, text)
        # Newest first by id: creation order, served by the primary key index (no sort of every row).
        # The rows are plain values rendered as RequestSerializer renders them (serializers.REQUEST_ROWS).
        page = self.paginate_queryset(REQUEST_ROWS.values(queryset.order_by("-id")))
        return self.get_paginated_response(REQUEST_ROWS.render(page or []))

    @extend_schema(
        operation_id="requests_create",
        tags=[TAG],
        request=RequestInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: RequestDetailSerializer,
            422: error_response(422, "The Idempotency-Key was already used with another body or action."),
        },
        examples=[OpenApiExample("new draft", value=REQUEST_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        """Open a draft for an organization the caller coordinates."""
        data = check_body(RequestInputSerializer, request.data)

        def create() -> tuple[DialogueRequest, Any]:
            case = services.request_create(actor=request.user, data=data, context=RequestContext.from_request(request))
            return case, requests_endpoints.render(request, case)

        return idempotent_create(request, DialogueRequest.case_type(), data, create)


class RequestDetailView(ApiView):
    @extend_schema(operation_id="requests_retrieve", tags=[TAG], responses={200: RequestDetailSerializer})
    def get(self, request: Request, reference: str) -> Response:
        """One request; reading a restricted outcome is recorded in the access log (`/api/v1/audit/access-log/`)."""
        case = requests_endpoints.get_case(request, reference, details=True)
        body = requests_endpoints.render(request, case, fresh=False)
        if body.get("outcome") is not None:
            audit_restricted_read(request, case, "outcome")
        return Response(body)

    @extend_schema(
        operation_id="requests_partial_update",
        tags=[TAG],
        request=RequestInputSerializer,
        responses={200: RequestDetailSerializer, 409: error_response(409)},
        examples=[OpenApiExample("retitle", value={"title": "Diversion for minors"}, request_only=True)],
    )
    def patch(self, request: Request, reference: str) -> Response:
        """Edit a draft (its requester only); only the fields sent change."""
        case = requests_endpoints.get_case(request, reference)
        data = check_body(RequestInputSerializer, request.data)
        case = services.request_update(
            request=case, actor=request.user, data=data, context=RequestContext.from_request(request)
        )
        return Response(requests_endpoints.render(request, case))


# --- committee ---------------------------------------------------------------------------------------


class VoteView(GenericApiView):
    @extend_schema(operation_id="request_votes_list", tags=[TAG], responses={200: VoteSerializer(many=True)})
    def get(self, request: Request, reference: str) -> Response:
        """Every vote on the request, all rounds (committee, secretariat and auditors)."""
        case = requests_endpoints.get_case(request, reference)
        if not engine.capabilities(case, request.user).may_read_event("vote_cast"):
            raise ApiError("not_permitted", status_code=403)
        votes = (
            Vote.objects.filter(request=case)
            .select_related("member", "alternate_for")
            .order_by("round", "cast_at", "id")
        )
        page = self.paginate_queryset(votes)
        return self.get_paginated_response(VoteSerializer(page, many=True).data)

    @extend_schema(
        operation_id="request_votes_create",
        tags=[TAG],
        request=VoteInputSerializer,
        responses={
            201: VoteResultSerializer,
            409: error_response(409, "Not before the committee, or this member already voted (`already_voted`)."),
        },
        examples=[
            OpenApiExample("approve", value={"decision": "approve", "reason": ""}, request_only=True),
            OpenApiExample(
                "already voted",
                value={"code": "already_voted", "message": "You have already voted in this round."},
                response_only=True,
                status_codes=["409"],
            ),
        ],
    )
    def post(self, request: Request, reference: str) -> Response:
        """A committee member votes; the committee decides by itself as soon as the votes settle it."""
        case = requests_endpoints.get_case(request, reference)
        data = check_body(VoteInputSerializer, request.data)
        vote = services.vote_cast(
            request=case,
            actor=request.user,
            decision=data.get("decision") or "",
            reason=data.get("reason") or "",
            context=RequestContext.from_request(request),
        )
        body = {**VoteSerializer(vote).data, "request_state": case.state}
        return Response(body, status=status.HTTP_201_CREATED)


class ConflictView(ApiView):
    @extend_schema(
        operation_id="request_conflicts_create",
        tags=[TAG],
        request=ConflictInputSerializer,
        responses={201: ConflictSerializer, 409: error_response(409)},
        examples=[OpenApiExample("declare", value={"reason": "I advised the requester last year."}, request_only=True)],
    )
    def post(self, request: Request, reference: str) -> Response:
        """A committee member declares a conflict of interest and is recused."""
        case = requests_endpoints.get_case(request, reference)
        data = check_body(ConflictInputSerializer, request.data)
        declaration = services.conflict_declare(
            request=case,
            actor=request.user,
            reason=data.get("reason") or "",
            context=RequestContext.from_request(request),
        )
        return Response(ConflictSerializer(declaration).data, status=status.HTTP_201_CREATED)


class AbsenceView(ApiView):
    @extend_schema(
        operation_id="request_absences_create",
        tags=[TAG],
        request=ConflictInputSerializer,
        responses={201: AbsenceSerializer, 403: error_response(403), 409: error_response(409)},
        examples=[OpenApiExample("stand aside", value={"reason": "Travelling until the 20th."}, request_only=True)],
    )
    def post(self, request: Request, reference: str) -> Response:
        """A sitting committee member stands aside on this request; the seat's alternate sits and votes instead."""
        case = requests_endpoints.get_case(request, reference)
        data = check_body(ConflictInputSerializer, request.data)
        services.absence_declare(
            request=case,
            actor=request.user,
            reason=data.get("reason") or "",
            context=RequestContext.from_request(request),
        )
        absence = SeatAbsence.objects.select_related("member").get(request=case, member=request.user)
        return Response(AbsenceSerializer(absence).data, status=status.HTTP_201_CREATED)


# --- the meeting as iCalendar ---------------------------------------------------------------------------


class MeetingIcsView(ApiView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The calendar is always iCalendar and errors always JSON, whatever Accept or ?format= says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="request_meeting_ics",
        tags=[TAG],
        responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="An iCalendar file.")},
    )
    def get(self, request: Request, reference: str) -> HttpResponse:
        """The current (or last cancelled) meeting as iCalendar: one UID across reschedules."""
        case = requests_endpoints.get_case(request, reference)
        meeting = (
            Meeting.objects.filter(request=case)
            .select_related("request", "organizer")
            .order_by("-created_at", "-id")
            .first()
        )
        if meeting is None:
            raise ApiError("not_found", status_code=404)
        response = HttpResponse(services.meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{case.reference}.ics"'
        return response


# --- follow-up actions ---------------------------------------------------------------------------------


ACTION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The action item's id.")


def action_queryset() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("request", "owner_organization", "owner_person")


class ActionListView(GenericApiView):
    @extend_schema(operation_id="request_actions_list", tags=[TAG], responses={200: ActionItemSerializer(many=True)})
    def get(self, request: Request, reference: str) -> Response:
        """The request's follow-up action items, by due date."""
        case = requests_endpoints.get_case(request, reference)
        page = self.paginate_queryset(action_queryset().filter(request=case).order_by("due_date", "id"))
        return self.get_paginated_response(ActionItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="request_actions_create",
        tags=[TAG],
        request=ActionItemInputSerializer,
        responses={201: ActionItemSerializer, 409: error_response(409)},
        examples=[
            OpenApiExample(
                "new action",
                value={
                    "description": "Draft implementing guidelines",
                    "owner_organization": 7,
                    "due_date": "2027-03-31",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, reference: str) -> Response:
        """The secretariat adds a follow-up action once the outcome is documented."""
        case = requests_endpoints.get_case(request, reference)
        data = check_body(ActionItemInputSerializer, request.data)
        item = services.action_item_create(
            request=case,
            actor=request.user,
            description=data.get("description") or "",
            owner_organization=data.get("owner_organization"),
            due_date=data.get("due_date"),
            owner_person=data.get("owner_person"),
            context=RequestContext.from_request(request),
        )
        return Response(ActionItemSerializer(action_queryset().get(pk=item.pk)).data, status=status.HTTP_201_CREATED)


class ActionDetailView(ApiView):
    def get_item(self, request: Request, pk: int) -> ActionItem:
        """The action item if the caller may see its request; 404 otherwise."""
        visible = access.visible_requests(request.user).values("pk")
        item = action_queryset().filter(pk=pk, request__in=visible).first()
        if item is None:
            raise ApiError("not_found", status_code=404)
        return item

    @extend_schema(
        operation_id="actions_retrieve", tags=[TAG], parameters=[ACTION_ID], responses={200: ActionItemSerializer}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ActionItemSerializer(self.get_item(request, pk)).data)

    @extend_schema(
        operation_id="actions_partial_update",
        tags=[TAG],
        parameters=[ACTION_ID],
        request=ActionItemUpdateSerializer,
        responses={200: ActionItemSerializer, 409: error_response(409)},
        examples=[
            OpenApiExample("done", value={"status": "done"}, request_only=True),
            OpenApiExample(
                "dropped", value={"status": "dropped", "justification": "Superseded by the new law."}, request_only=True
            ),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Owners report status (`justification` needed to drop); the secretariat may change anything."""
        item = self.get_item(request, pk)
        data = check_body(ActionItemUpdateSerializer, request.data)
        services.action_item_update(item=item, actor=request.user, context=RequestContext.from_request(request), **data)
        return Response(ActionItemSerializer(action_queryset().get(pk=item.pk)).data)


# --- audit ----------------------------------------------------------------------------------------------


FRESH = OpenApiParameter(
    "fresh", OpenApiTypes.BOOL, description="1: start a fresh verification as a job and answer 202 at once."
)
_YES, _NO = ("1", "true", "yes"), ("", "0", "false", "no")


class AccessLogView(GenericApiView):
    filter_serializer_class = AccessLogFilterSerializer

    @extend_schema(
        operation_id="audit_access_log",
        tags=["audit"],
        parameters=[AccessLogFilterSerializer],
        responses={200: AccessLogEntrySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """Reads of restricted material, newest first (auditors only), paged.

        The access log is append-only and hash-chained on its own (`hash = sha256(prev_hash +
        canonical JSON)`); `GET /api/v1/audit/verify/` verifies it with the cases' chains.
        """
        if not access.is_auditor(request.user):
            raise ApiError("not_permitted", status_code=403)
        filters = AccessLogFilterSerializer(data=query(request))
        filters.is_valid(raise_exception=True)
        queryset = AccessLogEntry.objects.order_by("-seq")
        if reference := filters.validated_data.get("case"):
            queryset = queryset.filter(case_reference=reference.upper())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(AccessLogEntrySerializer(page, many=True).data)


class AuditVerifyView(ApiView):
    @extend_schema(
        operation_id="audit_verify",
        tags=["audit"],
        parameters=[FRESH],
        responses={200: AuditVerifySerializer, 202: AuditVerifyJobSerializer},
    )
    def get(self, request: Request) -> Response:
        """The last background verification of every audit chain, with its age (auditors only).

        `?fresh=1` starts a fresh verification as a job and answers 202 at once. Only the very first
        call, before any verification has ever finished, verifies while the caller waits.
        """
        self.check_auditor(request)
        fresh = str(request.query_params.get("fresh", "")).strip().lower()
        if fresh not in _YES + _NO:
            raise ApiError("invalid", errors={"fresh": [str(_("Give 1 for a fresh verification, or leave it out."))]})
        if fresh in _YES:
            return self.start(request)
        # Before the first background run has finished, the first caller waits for one.
        latest = verification.latest_finished() or verification.perform(requested_by=request.user)
        report = verification.as_report(latest)
        report["running"] = verification.running() is not None
        return Response(AuditVerifySerializer(report).data)

    @extend_schema(
        operation_id="audit_verify_start", tags=["audit"], request=None, responses={202: AuditVerifyJobSerializer}
    )
    def post(self, request: Request) -> Response:
        """Start a fresh verification as a job (auditors only); 202 at once, the result on the next GET."""
        self.check_auditor(request)
        return self.start(request)

    def check_auditor(self, request: Request) -> None:
        if not access.is_auditor(request.user):
            raise ApiError("not_permitted", status_code=403)

    def start(self, request: Request) -> Response:
        run, _new = verification.start(request.user)
        body = {"status": run.status, "job": run.pk, "started_at": run.started_at, "poll": request.path}
        return Response(AuditVerifyJobSerializer(body).data, status=status.HTTP_202_ACCEPTED)
