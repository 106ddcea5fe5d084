"""The front door: a request whose declared body is too large is refused with 413 before it is read.

Django reads a body only when a view asks for it, but by then the upload has been received (a 100 MB
file travels in full before a form says it is too big). This middleware sits before anything that
reads the body and answers from ``Content-Length`` alone: JSON under /api/ (the API's error shape,
code ``too_large``), a short translated page elsewhere.

Limits (settings): multipart uploads may carry up to ``REQUEST_MAX_UPLOAD_BYTES`` (a document and its
form); any other body up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, the same figure as the API's JSON limit,
so every JSON body over the limit gets the documented 413 whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

TOO_LARGE = 413


def body_limit(request: HttpRequest) -> int:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        return int(settings.REQUEST_MAX_UPLOAD_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or int(settings.REQUEST_MAX_UPLOAD_BYTES)


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except (TypeError, ValueError):
        return 0


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if declared_length(request) > body_limit(request):
            return self.refuse(request)
        return self.get_response(request)

    def refuse(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            with translation.override(language):
                response = JsonResponse(
                    {"code": "too_large", "message": gettext("The request body is too large.")},
                    status=TOO_LARGE,
                    json_dumps_params={"ensure_ascii": False},
                )
        else:
            language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
            with translation.override(language):
                limit_mb = max(1, round(body_limit(request) / (1024 * 1024)))
                response = HttpResponse(render_to_string("413.html", {"limit_mb": limit_mb}), status=TOO_LARGE)
        # The body was not read: the connection cannot be reused for another request.
        response["Connection"] = "close"
        return response
