from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TextSearchConfig(AppConfig):
    name = "textsearch"
    label = "textsearch"
    verbose_name = _("Search")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import sources

        sources.connect()
        post_migrate.connect(_index_when_empty, sender=self)


def _index_when_empty(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    """After the first migrate on a database with data, index what is already there (idempotent)."""
    from .index import reindex_all
    from .models import SearchEntry

    if not SearchEntry.objects.using(using).exists():
        reindex_all()
