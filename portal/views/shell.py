"""The shell: sign-in and sign-out, the language switch, the error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..forms import SignInForm
from ..language import save_language, supported


class SignInView(auth_views.LoginView):
    template_name = "portal/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True
    # A URL name, reversed in the language of the sign-in page (settings hold a bare "/").
    next_page = "portal:home"
    extra_context = {"page_title": _("Sign in")}


class SignOutView(auth_views.LogoutView):
    # Signing out is a POST (Django ≥ 5): a link cannot sign anyone out behind their back.
    next_page = "portal:home"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language, remember it for the user, and show the same page in it."""
    language = request.POST.get("language", "")
    next_url = _safe_next(request, request.POST.get("next"))
    if not supported(language):
        return HttpResponseRedirect(next_url)
    save_language(request, language)
    response = HttpResponseRedirect(translate_url(next_url, language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
