"""The only writers of notification settings and read marks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ChannelPreference, UserSettings
from .routing import kinds

CACHE_ATTR = "_notify_language"


def _supported_languages() -> set[str]:
    return {code for code, _label in settings.LANGUAGES}


def user_language_get(user: Any) -> str:
    """The language the person chose (interface and messages), or "" if they never chose."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return ""
    cached = getattr(user, CACHE_ATTR, None)
    if cached is None:
        cached = UserSettings.objects.filter(user_id=user.pk).values_list("language", flat=True).first() or ""
        setattr(user, CACHE_ATTR, cached)
    return cached


def user_language_set(*, user: Any, language: str) -> UserSettings:
    """Remember ``language`` for the person, for the interface and for every message they receive."""
    if language not in _supported_languages():
        raise ValidationError({"language": [_("Choose Arabic or English.")]}, code="invalid")
    user_settings, _created = UserSettings.objects.update_or_create(user=user, defaults={"language": language})
    setattr(user, CACHE_ATTR, language)
    return user_settings


def user_settings_get(user: Any) -> UserSettings:
    """The person's settings, unsaved defaults if they never changed any."""
    return UserSettings.objects.filter(user=user).first() or UserSettings(user=user)


def user_settings_update(
    *, user: Any, language: str | None = None, digest: str | None = None, digest_hour: int | None = None
) -> UserSettings:
    """Change any of language, email delivery (immediate or daily) and digest hour."""
    current = user_settings_get(user)
    errors: dict[str, list[str]] = {}
    if language is not None and language not in _supported_languages() | {""}:
        errors["language"] = [_("Choose Arabic or English.")]
    if digest is not None and digest not in UserSettings.Digest.values:
        errors["digest"] = [_("Choose immediate or daily delivery.")]
    if digest_hour is not None and not (isinstance(digest_hour, int) and 0 <= digest_hour <= 23):
        errors["digest_hour"] = [_("The digest hour is a whole hour from 0 to 23.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    if language is not None:
        current.language = language
        setattr(user, CACHE_ATTR, language)
    if digest is not None:
        current.digest = digest
    if digest_hour is not None:
        current.digest_hour = digest_hour
    current.save()
    return current


def channel_preference_set(*, user: Any, kind: str, in_app: bool, email: bool) -> ChannelPreference:
    """Switch the in-app and email channels of one kind of notification for one person."""
    if kind not in kinds():
        raise ValidationError({"kind": [_("Unknown kind of notification.")]}, code="invalid")
    preference, _created = ChannelPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
    )
    return preference


def notification_mark_read(*, user: Any, notification_id: int) -> bool:
    """Mark one of the person's notifications read; False if it is not theirs or does not exist."""
    from notifications.models import Notification

    if Notification.objects.filter(pk=notification_id, recipient=user, unread=True).update(unread=False):
        return True
    return Notification.objects.filter(pk=notification_id, recipient=user).exists()


def notification_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the person read; returns how many changed."""
    from notifications.models import Notification

    return Notification.objects.filter(recipient=user, unread=True).update(unread=False)
