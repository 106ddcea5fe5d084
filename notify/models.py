"""What each person wants to hear, in which language and how often."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSettings(models.Model):
    """A person's language (for the interface and for messages) and how email reaches them."""

    class Digest(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately, one email per event")
        DAILY = "daily", _("Once a day, in one digest email")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notify_settings",
        verbose_name=_("user"),
    )
    # Empty until the person chooses: the site's default language applies meanwhile.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    digest = models.CharField(_("email delivery"), max_length=10, choices=Digest.choices, default=Digest.IMMEDIATE)
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"),
        default=7,
        validators=[MaxValueValidator(23)],
        help_text=_("Local hour (0-23) at which the daily digest is sent."),
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'} / {self.digest}"


class ChannelPreference(models.Model):
    """One person's choice of channels for one kind of notification (absent: the routing default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notify_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind of notification"), max_length=60)
    in_app = models.BooleanField(_("in the application"), default=True)
    email = models.BooleanField(_("by email"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notify_preference_user_kind")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} (in-app {self.in_app}, email {self.email})"
