"""One normalized text per searchable thing, pointing at the case it belongs to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    """The normalized text of one source (a request, its public outcome, ...) of one case.

    ``source`` names what the text came from (``"request"``, ``"outcome"``); ``case_type`` and
    ``case_id`` name the case a match leads to, so a search returns cases and the case's own
    visibility rule decides who finds it. On PostgreSQL a GIN index over
    ``to_tsvector('simple', text)`` serves full-text queries (migration 0001); elsewhere the text is
    matched with LIKE.
    """

    source = models.CharField(_("source"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    case_type = models.CharField(_("case type"), max_length=100)
    case_id = models.BigIntegerField(_("case id"))
    text = models.TextField(_("normalized text"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "object_id", "case_type", "case_id"], name="textsearch_one_entry_per_case"
            )
        ]
        indexes = [
            models.Index(fields=["case_type", "case_id"], name="textsearch_case"),
            models.Index(fields=["source", "object_id"], name="textsearch_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.object_id}"
