"""Serve signed-in users in the language they chose, whatever link brought them here."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation

from .language import saved_language


class UserLanguageMiddleware:
    """Redirect a page view to its URL in the user's saved language.

    The language lives in the URL (``i18n_patterns``), so activating another language without
    changing the URL would make the URL resolver and the page disagree; a redirect keeps both
    honest and makes shared links open in each reader's own language. Only plain GET page views
    are redirected: form posts and htmx fragments are answered where they were sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and not request.headers.get("HX-Request"):
            wanted = saved_language(request)
            current = translation.get_language()
            if wanted and current and wanted != current:
                full_path = request.get_full_path()
                target = translate_url(full_path, wanted)
                if target != full_path:
                    return HttpResponseRedirect(target)
        return self.get_response(request)
