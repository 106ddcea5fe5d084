"""The charter over HTTP: read the version in force (anyone), accept it (an organization's coordinator)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.inputs import StrictIntegerField, check_body
from api.schema import error_response
from api.views import ApiView
from engine.audit import RequestContext
from engine.errors import InvalidInput

from .. import selectors, services
from ..charter_diff import charter_diff
from ..models import CharterAcceptance, Organization

TAG = "charter"


class CharterArticleSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    title_ar = serializers.CharField()
    text = serializers.CharField()
    text_ar = serializers.CharField()


class CharterSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="number")
    title = serializers.CharField()
    title_ar = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    articles = CharterArticleSerializer(many=True)


class CharterAcceptanceInputSerializer(serializers.Serializer):
    charter_version = StrictIntegerField(help_text="The number of the charter version the coordinator accepts.")


class CharterAcceptanceSerializer(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="organization_id")
    charter_version = serializers.IntegerField(source="version.number")
    accepted_by = serializers.CharField(source="accepted_by.username")

    class Meta:
        model = CharterAcceptance
        fields = ["organization", "charter_version", "accepted_by", "accepted_at"]


class CharterView(ApiView):
    public = True
    # Public: credentials are not read at all (a stale token still reads the charter).
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="charter_retrieve", tags=[TAG], responses={200: CharterSerializer})
    def get(self, request: Request) -> Response:
        """The charter version in force, every article in English and Arabic (no sign-in needed)."""
        version = selectors.current_charter()
        if version is None:
            raise ApiError("not_found", status_code=404)
        return Response(CharterSerializer(version).data)


class CharterAcceptanceView(ApiView):
    @extend_schema(
        operation_id="organization_charter_acceptance",
        tags=[TAG],
        request=CharterAcceptanceInputSerializer,
        responses={201: CharterAcceptanceSerializer, 400: error_response(400)},
    )
    def post(self, request: Request, pk: str) -> Response:
        """A coordinator accepts, for their organization, the charter version in force."""
        organization = Organization.objects.filter(pk=pk).first()
        if organization is None:
            raise ApiError("not_found", status_code=404)
        data = check_body(CharterAcceptanceInputSerializer, request.data)
        if "charter_version" not in data:
            raise InvalidInput({"charter_version": [str(_("This field is required."))]})
        acceptance = services.organization_accept_charter(
            organization=organization,
            actor=request.user,
            charter_version=data["charter_version"],
            context=RequestContext.from_request(request),
        )
        return Response(CharterAcceptanceSerializer(acceptance).data, status=201)


class SegmentSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["same", "added", "removed"])
    text = serializers.CharField()


class ArticleChangeSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=["added", "removed", "changed", "unchanged"])
    title = SegmentSerializer(many=True)
    title_ar = SegmentSerializer(many=True)
    text = SegmentSerializer(many=True)
    text_ar = SegmentSerializer(many=True)


# "from" is a Python keyword: the serializer is built with its JSON field names.
CharterDiffSerializer = type(
    "CharterDiffSerializer",
    (serializers.Serializer,),
    {
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
        "articles": ArticleChangeSerializer(many=True),
    },
)


def versions_to_compare(query: Any) -> tuple[Any, Any]:
    """The two versions named by ``from`` and ``to`` (``to`` defaults to the version in force); field errors else."""
    from ..models import CharterVersion

    errors: dict[str, list[str]] = {}
    found = {}
    current = CharterVersion.objects.filter(is_current=True).values_list("number", flat=True).first()
    for name, default in (("from", None), ("to", current)):
        raw = (query.get(name) or "").strip()
        if not raw and default is None:
            errors[name] = [str(_("This field is required."))]
            continue
        if raw and not (raw.isdigit() and len(raw) <= 9):
            errors[name] = [str(_("Give a version number."))]
            continue
        number = int(raw) if raw else default
        version = CharterVersion.objects.filter(number=number).first()
        if version is None:
            errors[name] = [str(_("There is no version %(number)s of the charter.") % {"number": number})]
            continue
        found[name] = version
    if errors:
        raise InvalidInput(errors)
    return found["from"], found["to"]


class CharterDiffView(ApiView):
    public = True
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="charter_diff",
        tags=[TAG],
        parameters=[
            OpenApiParameter("from", int, required=True, description="The older version number."),
            OpenApiParameter("to", int, required=False, description="The newer version (default: the one in force)."),
        ],
        responses={200: CharterDiffSerializer, 400: error_response(400)},
    )
    def get(self, request: Request) -> Response:
        """What changed between two charter versions, article by article, in English and Arabic (public)."""
        old, new = versions_to_compare(request.query_params)
        changes = charter_diff(old, new)
        return Response({"from": old.number, "to": new.number, "articles": [change.as_dict() for change in changes]})
