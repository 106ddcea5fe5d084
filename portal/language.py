"""The signed-in user's interface language: kept by the notify app, else in the session."""

from __future__ import annotations

from typing import Any

from django.conf import settings

SESSION_KEY = "portal_language"


def supported(language: str | None) -> bool:
    return bool(language) and language in dict(settings.LANGUAGES)


def _notify_services() -> Any:
    # The notify app owns the preference; the portal works (session only) on deployments without it.
    try:
        from notify import services
    except ImportError:
        return None
    if not hasattr(services, "user_language_get"):
        return None
    return services


def saved_language(request: Any) -> str | None:
    """The language the user chose last, or None if they never chose."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        services = _notify_services()
        if services is not None:
            language = services.user_language_get(user)
            if supported(language):
                return language
    language = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    return language if supported(language) else None


def save_language(request: Any, language: str) -> None:
    """Remember ``language`` for this browser and, when signed in, for the user everywhere."""
    request.session[SESSION_KEY] = language
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        services = _notify_services()
        if services is not None:
            services.user_language_set(user=user, language=language)
