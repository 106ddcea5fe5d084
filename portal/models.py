"""The portal's own rows: what a person keeps for their own use (saved queue filters)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A query string of the queue (``/requests/?...``) a person saved under a name; only they see it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters", verbose_name=_("saved by")
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query string"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="portal_savedfilter_owner_name")]

    def __str__(self) -> str:
        return self.name
