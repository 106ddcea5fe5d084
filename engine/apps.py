from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Case engine")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (cache invalidation only)
