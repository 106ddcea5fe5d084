"""The daily digest: email held back per person, sent at their hour as ONE email.

Rows for digest readers wait in the outbox (channel ``digest``, pending) with ``deliver_after`` at
their next digest time. The hourly task finds the people whose rows are due; one task per person
claims all their due rows at once (a lease token in ``deliver_after``), sends one email and marks
the rows sent, so a second worker or a second run finds nothing to send.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import ngettext

from engine.models import OutboxMessage

from .delivery import Outcome, conf, recipient_language, render_message, retry_delay
from .rendering import build_email
from .routing import DIGEST

logger = logging.getLogger(__name__)


def next_digest_time(hour: int | None, now: datetime | None = None) -> datetime:
    """The next local ``hour``:00 strictly after ``now``."""
    local = timezone.localtime(now or timezone.now())
    hour = 7 if hour is None else max(0, min(int(hour), 23))
    day = local.date()
    candidate = timezone.make_aware(datetime.combine(day, time(hour)))
    if candidate <= local:
        candidate = timezone.make_aware(datetime.combine(day + timedelta(days=1), time(hour)))
    return candidate


def due_digests(now: datetime | None = None) -> list[int]:
    """Ids of the people with digest rows due: one indexed query."""
    now = now or timezone.now()
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, channel=DIGEST, deliver_after__lte=now)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def _claim(user_id: int, now: datetime) -> list[OutboxMessage]:
    # A lease time unique to this claim doubles as the token that finds the rows we took.
    token = now + timedelta(seconds=conf("LEASE_SECONDS"), microseconds=random.randrange(1, 999_999))  # noqa: S311
    OutboxMessage.objects.filter(
        recipient_id=user_id, channel=DIGEST, status=OutboxMessage.Status.PENDING, deliver_after__lte=now
    ).update(attempts=F("attempts") + 1, deliver_after=token)
    return list(
        OutboxMessage.objects.filter(
            recipient_id=user_id, channel=DIGEST, status=OutboxMessage.Status.PENDING, deliver_after=token
        ).order_by("created_at", "pk")
    )


def _mark(rows: list[OutboxMessage], **fields: object) -> int:
    return OutboxMessage.objects.filter(pk__in=[r.pk for r in rows], status=OutboxMessage.Status.PENDING).update(
        **fields
    )


def deliver_digest(user_id: int, *, retry_now: bool = False, now: datetime | None = None) -> Outcome:
    """Send ``user_id`` one email with every digest row due; mark them sent (or retry / fail)."""
    now = now or timezone.now()
    rows = _claim(user_id, now)
    if not rows:
        return Outcome("noop")
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.is_active or not user.email:
        _mark(
            rows, status=OutboxMessage.Status.SKIPPED, last_error="recipient cannot receive email", deliver_after=None
        )
        return Outcome("skipped")
    try:
        language = recipient_language(user)
        items = [render_message(row, language) for row in rows]
        with translation.override(language):
            subject = ngettext(
                "Your daily digest: %(count)d update", "Your daily digest: %(count)d updates", len(items)
            ) % {"count": len(items)}
        email = build_email(
            to=user.email,
            language=language,
            template="digest",
            subject=subject,
            context={"items": items, "user": user, "count": len(items)},
        )
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - recorded on every row of the digest
        error = f"{type(exc).__name__}: {exc}"[:2000]
        attempts = max(row.attempts for row in rows)
        if attempts >= conf("MAX_ATTEMPTS"):
            _mark(rows, status=OutboxMessage.Status.FAILED, last_error=error, deliver_after=None)
            logger.error("Digest for user %s failed for good: %s", user_id, error)
            return Outcome("failed", error=error)
        delay = 0.0 if retry_now else retry_delay(attempts)
        _mark(rows, last_error=error, deliver_after=timezone.now() + timedelta(seconds=delay))
        return Outcome("retry", retry_in=delay, error=error)
    _mark(rows, status=OutboxMessage.Status.SENT, sent_at=timezone.now(), last_error="", deliver_after=None)
    return Outcome("sent")
