"""The queue's words: how much time each request has left, counted on the business calendar.

Presentation only: which requests are shown, in which order, and who may act on them come from the
partnership's selectors and flow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from engine import calendar


@dataclass(frozen=True)
class TimeLeft:
    """``kind`` is overdue, today, left, paused or none; ``text`` says it; ``due_at`` for the ``<time>``."""

    kind: str
    text: str
    due_at: datetime | None = None
    days: int = 0


def time_left(
    due_at: datetime | None, *, paused: bool = False, left_seconds: int | None = None, now: datetime | None = None
) -> TimeLeft:
    """ "2 business days left", "due today", "1 business day overdue", or paused: on the Lebanese calendar.

    Days are whole business days between today and the deadline's day (the day of the deadline counts,
    today does not), as ``engine.calendar.business_days_between`` counts them.
    """
    now = now or timezone.now()
    if paused:
        if left_seconds is None:
            return TimeLeft("paused", _("Paused"))
        days = max(0, math.ceil(left_seconds / calendar.workday_seconds()))
        text = ngettext(
            "Paused: %(count)d business day left when it resumes",
            "Paused: %(count)d business days left when it resumes",
            days,
        ) % {"count": days}
        return TimeLeft("paused", text, None, days)
    if due_at is None:
        return TimeLeft("none", "—")
    if due_at > now:
        days = calendar.business_days_between(now, due_at)
        if days == 0:
            return TimeLeft("today", _("Due today"), due_at)
        text = ngettext("%(count)d business day left", "%(count)d business days left", days) % {"count": days}
        return TimeLeft("left", text, due_at, days)
    days = calendar.business_days_between(due_at, now)
    if days == 0:
        return TimeLeft("overdue", _("Overdue since today"), due_at)
    text = ngettext("%(count)d business day overdue", "%(count)d business days overdue", days) % {"count": days}
    return TimeLeft("overdue", text, due_at, days)


def row_time_left(row: Any, now: datetime | None = None) -> TimeLeft:
    """``time_left`` of a request annotated by ``selectors.with_urgency``."""
    if getattr(row, "sla_status", None) is None:
        return TimeLeft("none", "—")
    return time_left(
        getattr(row, "sla_due_at", None),
        paused=getattr(row, "sla_paused_at", None) is not None,
        left_seconds=getattr(row, "sla_left_seconds", None),
        now=now,
    )
