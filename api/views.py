"""Base classes of every API view: JSON in and out, our error shape, our schema generator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from .errors import exception_handler
from .pagination import Pagination
from .parsers import SafeJSONParser
from .schema import ApiAutoSchema


class ApiView(APIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [SafeJSONParser]
    schema = ApiAutoSchema()
    # OPTIONS answers 405: DRF's metadata would describe (and needs) serializers the views do not declare.
    metadata_class = None
    #: True for endpoints anyone may call (no 401/403 in their schema)
    public = False

    def get_exception_handler(self) -> Callable[..., Any]:
        return exception_handler


class GenericApiView(ApiView, GenericAPIView):
    pagination_class = Pagination
