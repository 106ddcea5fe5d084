from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    label = "portal"
    verbose_name = _("Web portal")

    def ready(self) -> None:
        from . import (
            calendar_names,  # noqa: F401  (keeps the Levantine month names in the catalogue)
            outcome_report,
        )

        outcome_report.connect()  # the outcome register's sections, when that workflow is installed
