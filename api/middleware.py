"""Under /api/: the language comes from Accept-Language, and errors outside DRF views are JSON too.

Django's LocaleMiddleware, with ``i18n_patterns(prefix_default_language=False)`` in the root URLconf,
gives every unprefixed path the default language and ignores Accept-Language; API clients have no
URL prefix to choose with, so this middleware (placed after LocaleMiddleware) picks the language
from the request headers again for API paths only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .errors import json_error

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"

#: Non-JSON error pages Django may produce before or around a view, and the code we give them.
_STATUS_CODES = {400: "invalid", 403: "not_permitted", 404: "not_found", 405: "method_not_allowed", 500: "server_error"}


#: What an error page says beyond its body, kept when the body is replaced by JSON.
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Vary")


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_request(request):
            return self.get_response(request)
        language = translation.get_language_from_request(request, check_path=False)
        # For this request only: the thread's language is put back afterwards, so an Arabic API call
        # never leaves Arabic active for whatever the thread does next.
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
            content_type = response.get("Content-Type", "")
            if response.status_code in _STATUS_CODES and "json" not in content_type:
                replacement = json_error(request, _STATUS_CODES[response.status_code], response.status_code)
                for header in _KEPT_HEADERS:
                    if header in response:
                        replacement[header] = response[header]
                response = replacement
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language",))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """An unexpected error in an API view: log it as Django would, answer in JSON."""
        if not is_api_request(request):
            return None
        if isinstance(exception, Http404):
            return json_error(request, "not_found", 404)
        if isinstance(exception, PermissionDenied):
            return json_error(request, "not_permitted", 403)
        if isinstance(exception, SuspiciousOperation | BadRequest):
            return json_error(request, "invalid", 400)
        # Same signal and log record as Django's own handler, so error reporting (and the test
        # client, which re-raises) still see the failure.
        signals.got_request_exception.send(sender=None, request=request)
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=sys.exc_info(),
            extra={"status_code": 500, "request": request},
        )
        return json_error(request, "server_error", 500)
