"""Views of the outcome register API: parse, call the service, render. The flows and services hold the rules."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.cases import IDEMPOTENCY_PARAMETER, CaseEndpoints, idempotent_create
from api.inputs import check_body
from api.schema import error_response
from api.views import ApiView, GenericApiView
from engine.audit import RequestContext

from .. import selectors, services
from ..models import HarvestedOutcome, Recommendation
from .serializers import HarvestedOutcomeSerializer, HarvestInputSerializer, RecommendationSerializer

OUTCOMES_TAG = "outcomes"
RECOMMENDATIONS_TAG = "recommendations"

HARVEST_EXAMPLE = {
    "title": "Ministry adopts diversion guidelines",
    "social_actor": "Ministry of Social Affairs, juvenile protection unit",
    "actor_side": "public",
    "change": "The unit issued written guidelines for diversion before trial.",
    "changed_on": "2026-01-15",
    "place": "Beirut",
    "significance": "First written rule on diversion since the 2002 law.",
    "contribution": "The roundtable brought the CSO's case evidence to the unit.",
    "evidence_links": ["https://example.org/memo-14-2026"],
    "change_type": "policy",
    "theme": "juvenile-justice",
    "requests": ["DR-2026-0001"],
    "visibility": "public",
}


def outcome_details(queryset: QuerySet[HarvestedOutcome]) -> QuerySet[HarvestedOutcome]:
    return queryset.select_related("theme", "harvested_by").prefetch_related(
        "requests", "recommendations", "evidence_documents"
    )


def recommendation_details(queryset: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    return queryset.select_related("request", "owner_organization").prefetch_related(
        "progress_notes", "action_items", "outcomes"
    )


outcomes_endpoints = CaseEndpoints(
    model=HarvestedOutcome,
    prefix="outcomes",
    basename="outcome",
    tag=OUTCOMES_TAG,
    serializer_class=HarvestedOutcomeSerializer,
    visible=selectors.visible_outcomes,
    with_details=outcome_details,
)

recommendations_endpoints = CaseEndpoints(
    model=Recommendation,
    prefix="recommendations",
    basename="recommendation",
    tag=RECOMMENDATIONS_TAG,
    serializer_class=RecommendationSerializer,
    visible=selectors.visible_recommendations,
    with_details=recommendation_details,
)

FILTERS = [
    OpenApiParameter("state", str, description="Only outcomes in this state."),
    OpenApiParameter("change_type", str, description="policy, practice, relationship or discourse."),
    OpenApiParameter("theme", str, description="A theme code."),
]


class OutcomeListView(GenericApiView):
    @extend_schema(
        operation_id="outcomes_list",
        tags=[OUTCOMES_TAG],
        parameters=FILTERS,
        responses={200: HarvestedOutcomeSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """The harvested outcomes the caller may see, newest first (published public ones for everyone)."""
        queryset = outcome_details(selectors.visible_outcomes(request.user))
        for name, lookup in (("state", "state"), ("change_type", "change_type"), ("theme", "theme__code")):
            value = str(request.query_params.get(name, "")).strip()[:40]
            if value:
                queryset = queryset.filter(**{lookup: value})
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(HarvestedOutcomeSerializer(page, many=True).data)

    @extend_schema(
        operation_id="outcomes_create",
        tags=[OUTCOMES_TAG],
        request=HarvestInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: HarvestedOutcomeSerializer,
            422: error_response(422, "The Idempotency-Key was already used with another body or action."),
        },
        examples=[OpenApiExample("harvested outcome", value=HARVEST_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        """Harvest an outcome (a draft) from dialogues whose outcome is documented."""
        data = check_body(HarvestInputSerializer, request.data)

        def create() -> tuple[HarvestedOutcome, Any]:
            case = services.outcome_harvest(actor=request.user, data=data, context=RequestContext.from_request(request))
            return case, outcomes_endpoints.render(request, case)

        return idempotent_create(request, HarvestedOutcome.case_type(), data, create)


class OutcomeDetailView(ApiView):
    @extend_schema(operation_id="outcomes_retrieve", tags=[OUTCOMES_TAG], responses={200: HarvestedOutcomeSerializer})
    def get(self, request: Request, reference: str) -> Response:
        """One harvested outcome (404 for anyone who may not see it)."""
        case = outcomes_endpoints.get_case(request, reference, details=True)
        return Response(outcomes_endpoints.render(request, case, fresh=False))

    @extend_schema(
        operation_id="outcomes_partial_update",
        tags=[OUTCOMES_TAG],
        request=HarvestInputSerializer,
        responses={200: HarvestedOutcomeSerializer},
    )
    def patch(self, request: Request, reference: str) -> Response:
        """Edit a draft (its harvester or the secretariat): the fields sent replace the draft's; the changes are audited."""
        case = outcomes_endpoints.get_case(request, reference, details=True)
        data = {**current_input(case), **check_body(HarvestInputSerializer, request.data)}
        services.outcome_update(case, actor=request.user, data=data, context=RequestContext.from_request(request))
        return Response(outcomes_endpoints.render(request, case))


def current_input(outcome: HarvestedOutcome) -> dict[str, Any]:
    """The draft as a harvest body (what a partial update starts from)."""
    data: dict[str, Any] = {name: getattr(outcome, name) for name in services.FIELDS}
    data["changed_on"] = outcome.changed_on.isoformat() if outcome.changed_on else ""
    data["theme"] = outcome.theme.code
    data["requests"] = [request.reference for request in outcome.requests.all()]
    data["recommendations"] = [item.reference for item in outcome.recommendations.all()]
    return data


class RecommendationListView(GenericApiView):
    @extend_schema(
        operation_id="recommendations_list",
        tags=[RECOMMENDATIONS_TAG],
        parameters=[
            OpenApiParameter("status", str, description="not_started, in_progress, implemented, not_implemented."),
            OpenApiParameter("request", str, description="A dialogue request's reference."),
        ],
        responses={200: RecommendationSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """The recommendations the caller may see, with their progress history."""
        queryset = recommendation_details(selectors.visible_recommendations(request.user))
        for name, lookup in (("status", "state"), ("request", "request__reference")):
            value = str(request.query_params.get(name, "")).strip()[:40]
            if value:
                queryset = queryset.filter(**{lookup: value})
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(RecommendationSerializer(page, many=True).data)


class RecommendationDetailView(ApiView):
    @extend_schema(
        operation_id="recommendations_retrieve", tags=[RECOMMENDATIONS_TAG], responses={200: RecommendationSerializer}
    )
    def get(self, request: Request, reference: str) -> Response:
        """One recommendation (404 for anyone who may not see it)."""
        case = recommendations_endpoints.get_case(request, reference, details=True)
        return Response(recommendations_endpoints.render(request, case, fresh=False))
