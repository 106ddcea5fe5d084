from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SampleConfig(AppConfig):
    name = "workflows.sample"
    label = "sample"
    verbose_name = _("Sample tickets")

    def ready(self) -> None:
        from . import flows  # noqa: F401  (registers the flow)
