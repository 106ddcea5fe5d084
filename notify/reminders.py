"""Reminders from periodic scans: set-based look-ups, and each reminder emitted once.

A reminder's occurrence key names what it is about (the meeting and its calendar sequence, the
action item and its due date), and the router writes one row keyed by it; a scan skips keys that
already have a row, so running it every few minutes, or twice at once, sends each reminder once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from engine import outbox
from engine.models import OutboxMessage

from . import partnership

logger = logging.getLogger(__name__)

MEETING_WINDOW = timedelta(hours=48)
ACTION_DUE_SOON = timedelta(days=3)


def emit_once(events: list[Any]) -> int:
    """Emit the events whose occurrence key has no outbox row yet; returns how many were new."""
    if not events:
        return 0
    keys = [event.occurrence_key for event in events]
    existing: set[str] = set()
    for start in range(0, len(keys), 1000):
        existing.update(
            OutboxMessage.objects.filter(dedupe_key__in=keys[start : start + 1000]).values_list("dedupe_key", flat=True)
        )
    fresh = [event for event in events if event.occurrence_key not in existing]
    if not fresh:
        return 0
    try:
        with transaction.atomic():
            outbox.emit(fresh)
    except IntegrityError:
        # A concurrent scan wrote some of these first; the next run picks up whatever is left.
        logger.info("A concurrent reminder scan won the race; nothing emitted this time")
        return 0
    return len(fresh)


def scan(now: datetime | None = None) -> int:
    """Emit every reminder due as of ``now``; returns how many new reminders went out."""
    if not partnership.installed():
        return 0
    now = now or timezone.now()
    events = partnership.meeting_reminders(now, MEETING_WINDOW)
    events += partnership.action_reminders(timezone.localdate(now), ACTION_DUE_SOON)
    return emit_once(events)
