"""Serve signed-in users in the language they chose, whatever link brought them here."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation

from .language import saved_language, supported


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
            wanted = saved_language(request) or _chosen_or_browser_language(request)
            current = translation.get_language()
            if wanted and current and wanted != current:
                full_path = request.get_full_path()
                target = translate_url(full_path, wanted)
                if target != full_path:
                    return HttpResponseRedirect(target)
        return self.get_response(request)


def _chosen_or_browser_language(request: HttpRequest) -> str | None:
    """The language cookie (a choice made in this browser), else, on an address without a language
    prefix (the default language's), the browser's preferred language among the supported ones.

    A link with a language in it (``/en/...``) is a choice too: the browser's preference does not
    override it. Without any preference the default language stands (None).
    """
    from django.conf import settings
    from django.utils.translation import get_supported_language_variant
    from django.utils.translation.trans_real import get_language_from_path, parse_accept_lang_header

    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if supported(cookie):
        return cookie
    if get_language_from_path(request.path_info):
        return None
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class MethodNotAllowedPageMiddleware:
    """A 405 from a portal view gets a page that says so (Django's own answer has an empty body).

    The ``Allow`` header is kept; the API answers its own 405s in JSON and is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path.startswith("/api/"):
            return response
        from django.template.loader import render_to_string

        allowed = response.get("Allow", "")
        page = HttpResponse(
            render_to_string("405.html", {"allowed": allowed}, request=request),
            status=405,
            content_type="text/html; charset=utf-8",
        )
        if allowed:
            page["Allow"] = allowed
        return page
