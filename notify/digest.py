"""The daily digest: email held back per person, sent at their hour as ONE email.

Rows for digest readers wait in the outbox (channel ``digest``, pending) with ``deliver_after`` at
their next digest time. The hourly task finds the people whose rows are due; one task per person
locks all their due rows (``FOR UPDATE SKIP LOCKED``), sends one email and marks the rows sent in
that transaction, so a second worker or a second run finds nothing to send.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import ngettext

from engine.models import OutboxMessage

from .delivery import Outcome, recipient_language, render_message, settle_attempt
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


def _mark(rows: list[OutboxMessage], **fields: object) -> int:
    return OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(**fields)


def deliver_digest(user_id: int, *, retry_now: bool = False, now: datetime | None = None) -> Outcome:
    """Send ``user_id`` one email with every digest row due; mark them sent (or retry / fail)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(recipient_id=user_id, channel=DIGEST, status=OutboxMessage.Status.PENDING, deliver_after__lte=now)
            .order_by("created_at", "pk")
        )
        if not rows:
            return Outcome("noop")
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None or not user.is_active or not user.email:
            _mark(
                rows,
                status=OutboxMessage.Status.SKIPPED,
                last_error="recipient cannot receive email",
                deliver_after=None,
            )
            return Outcome("skipped")
        attempts = max(row.attempts for row in rows) + 1
        error = None
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
        return settle_attempt(
            OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]),
            attempts=attempts,
            error=error,
            now=now,
            retry_now=retry_now,
            what=f"Digest for user {user_id}",
        )
