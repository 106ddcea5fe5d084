"""Cache invalidation only: no business rules live in signals."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import calendar, sla
from .models import ClosureDay, HolidayOverride, SlaPolicy


@receiver([post_save, post_delete], sender=ClosureDay)
@receiver([post_save, post_delete], sender=HolidayOverride)
def _calendar_changed(**kwargs: object) -> None:
    calendar.invalidate()


@receiver([post_save, post_delete], sender=SlaPolicy)
def _policies_changed(**kwargs: object) -> None:
    sla.invalidate_policies()
