from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessionConfig(AppConfig):
    name = "workflows.accession"
    label = "accession"
    verbose_name = _("Membership and charter accession")

    def ready(self) -> None:
        from . import effects, flows, navigation, notifications  # noqa: F401  (registers the flow)

        notifications.register()
        navigation.register()
        effects.connect()
