"""Periodic jobs of the accession workflow (listed in CELERY_BEAT_SCHEDULE, run by beat or run_periodic)."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def charter_reminders_task() -> int:
    """Remind the coordinators of members that have not accepted the charter version in force (weekly)."""
    from .reminders import scan

    return scan()
