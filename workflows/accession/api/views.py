"""Views of the accession API: parse, call the service, render. The flow and the services hold the rules."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.cases import IDEMPOTENCY_PARAMETER, CaseEndpoints, idempotent_create
from api.inputs import check_body
from api.schema import error_response
from api.views import ApiView, GenericApiView
from engine.audit import RequestContext

from .. import selectors, services
from ..models import Application, MemberFile
from .serializers import (
    ApplicationInputSerializer,
    ApplicationSerializer,
    MemberFileOpenSerializer,
    MemberFileSerializer,
)

TAG = "accessions"

APPLICATION_EXAMPLE = {
    "name": "Association for Inclusive Education",
    "name_ar": "جمعية التعليم الدامج",
    "side": "civil",
    "kind": "cso",
    "registration_number": "1234/AD",
    "themes": ["disability-rights"],
    "contact_email": "info@inclusive.example.org",
}


def with_details(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("applicant", "charter_version").prefetch_related("themes")


accessions_endpoints = CaseEndpoints(
    model=Application,
    prefix="accessions",
    basename="accession",
    tag=TAG,
    serializer_class=ApplicationSerializer,
    visible=selectors.visible_applications,
    with_details=with_details,
)


class ApplicationListView(GenericApiView):
    @extend_schema(operation_id="accessions_list", tags=[TAG], responses={200: ApplicationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The applications the caller may see (their own; all of them for the secretariat and auditors), newest first."""
        queryset = with_details(selectors.visible_applications(request.user)).order_by("-id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ApplicationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="accessions_create",
        tags=[TAG],
        request=ApplicationInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: ApplicationSerializer,
            422: error_response(422, "The Idempotency-Key was already used with another body or action."),
        },
        examples=[OpenApiExample("new application", value=APPLICATION_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        """Apply to join the platform, for an organization that is not a member yet (a draft)."""
        data = check_body(ApplicationInputSerializer, request.data)

        def create() -> tuple[Application, Any]:
            case = services.application_create(
                actor=request.user, data=data, context=RequestContext.from_request(request)
            )
            return case, accessions_endpoints.render(request, case)

        return idempotent_create(request, Application.case_type(), data, create)


class ApplicationDetailView(ApiView):
    @extend_schema(operation_id="accessions_retrieve", tags=[TAG], responses={200: ApplicationSerializer})
    def get(self, request: Request, reference: str) -> Response:
        """One application (the applicant, the secretariat, auditors; 404 for anyone else)."""
        case = accessions_endpoints.get_case(request, reference, details=True)
        return Response(accessions_endpoints.render(request, case, fresh=False))


# --- member files: coordinator handover, suspension, reinstatement -----------------------------------------

MEMBERS_TAG = "members"


def member_details(queryset: QuerySet[MemberFile]) -> QuerySet[MemberFile]:
    return queryset.select_related("organization", "successor")


members_endpoints = CaseEndpoints(
    model=MemberFile,
    prefix="members",
    basename="member",
    tag=MEMBERS_TAG,
    serializer_class=MemberFileSerializer,
    visible=selectors.visible_member_files,
    with_details=member_details,
)


class MemberFileListView(GenericApiView):
    @extend_schema(operation_id="members_list", tags=[MEMBERS_TAG], responses={200: MemberFileSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The member files the caller may see: their organizations'; every one for the secretariat and auditors."""
        queryset = member_details(selectors.visible_member_files(request.user)).order_by("organization__name")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MemberFileSerializer(page, many=True).data)

    @extend_schema(
        operation_id="members_open",
        tags=[MEMBERS_TAG],
        request=MemberFileOpenSerializer,
        responses={200: MemberFileSerializer, 201: MemberFileSerializer},
    )
    def post(self, request: Request) -> Response:
        """The organization's member file, opened the first time (the secretariat, or one of its coordinators)."""
        data = check_body(MemberFileOpenSerializer, request.data)
        organization = selectors.organization_for_member_file(request.user, data["organization"])
        existed = MemberFile.objects.filter(organization=organization).exists()
        case = services.member_file_for(
            organization=organization, actor=request.user, context=RequestContext.from_request(request)
        )
        return Response(members_endpoints.render(request, case), status=200 if existed else 201)


class MemberFileDetailView(ApiView):
    @extend_schema(operation_id="members_retrieve", tags=[MEMBERS_TAG], responses={200: MemberFileSerializer})
    def get(self, request: Request, reference: str) -> Response:
        """One member file (the organization's people, the secretariat, auditors; 404 for anyone else)."""
        case = members_endpoints.get_case(request, reference, details=True)
        return Response(members_endpoints.render(request, case, fresh=False))
