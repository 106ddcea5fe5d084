from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipConfig(AppConfig):
    name = "workflows.partnership"
    label = "partnership"
    verbose_name = _("Partnership dialogue")

    def ready(self) -> None:
        from . import flows, notifications  # noqa: F401  (registers the flow)

        notifications.register()
