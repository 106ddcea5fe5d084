"""A trivial ticket: the smallest case a flow can drive (used by engine tests and benchmarks)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from engine.models import Case


class Ticket(Case):
    REFERENCE_PREFIX = "TCK"

    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
