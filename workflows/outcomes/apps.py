from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "workflows.outcomes"
    label = "outcomes"
    verbose_name = _("Outcome register and recommendations")

    def ready(self) -> None:
        from . import effects, flows, notifications  # noqa: F401  (registers the flows)

        notifications.register()
        effects.connect()
