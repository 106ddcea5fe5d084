"""manage.py track_recommendations: one trackable item per recommendation of every documented dialogue outcome.

New outcomes get their items when they are documented; this backfills outcomes documented before the
register existed (each item is created through the engine, with the first link of its audit chain).
Running it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from workflows.partnership.models import Outcome

from ...effects import track_recommendations


class Command(BaseCommand):
    help = "Create trackable recommendation items for documented dialogue outcomes that have none yet."

    def handle(self, *args: Any, **options: Any) -> None:
        made = 0
        for outcome in Outcome.objects.select_related("request", "documented_by").order_by("pk"):
            with transaction.atomic():
                made += len(track_recommendations(outcome))
        self.stdout.write(f"{made} recommendation item(s) created.")
