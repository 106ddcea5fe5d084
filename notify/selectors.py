"""Reads for the notification pages: a constant number of queries however many notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from engine.models import OutboxMessage

from .rendering import render
from .routing import DIGEST, EMAIL, EVENT, IN_APP


def unread_count(user: Any) -> int:
    """How many unread notifications the person has: one COUNT served by an index.

    django-notifications-community already indexes ``(recipient, unread)`` (its migration 0008,
    renamed ``notificatio_recipie_8bedf2_idx`` in 0010), besides the foreign key's own index, so
    notify adds no migration of its own; tests/notify/test_views.py checks on PostgreSQL that the
    plan uses an index. ``SOFT_DELETE`` stays off, so the count filters on nothing else.
    """
    from notifications.models import Notification

    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, unread=True).count()


@dataclass
class NotificationItem:
    id: int
    kind: str
    reference: str
    subject: str
    body: str
    url: str
    unread: bool
    timestamp: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "reference": self.reference,
            "subject": self.subject,
            "body": self.body,
            "url": self.url,
            "unread": self.unread,
            "timestamp": self.timestamp.isoformat(),
        }


def notification_list(
    user: Any, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> list[NotificationItem]:
    """The person's latest notifications, worded in the active language (one query).

    ``offset`` skips the newest ones: a page further down the list.
    """
    from notifications.models import Notification

    notifications = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        notifications = notifications.filter(unread=True)
    ordered = notifications.order_by("-timestamp", "-pk").only("id", "verb", "unread", "timestamp", "data")
    return [_item(note) for note in ordered[offset : offset + limit]]


def notification_count(user: Any) -> int:
    """How many notifications the person has (read or not)."""
    from notifications.models import Notification

    return Notification.objects.filter(recipient_id=user.pk).count()


def notification_get(user: Any, notification_id: int) -> NotificationItem | None:
    """One of the person's notifications, worded in the active language; None if it is not theirs."""
    from notifications.models import Notification

    note = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    return _item(note) if note is not None else None


def _item(note: Any) -> NotificationItem:
    data = note.data or {}
    rendered = render(
        kind=data.get("kind") or note.verb,
        payload=data.get("payload") or {},
        case_type=data.get("case_type") or "",
        reference=data.get("reference") or "",
    )
    return NotificationItem(
        id=note.pk,
        kind=rendered.kind,
        reference=rendered.reference,
        subject=rendered.subject,
        body=rendered.body,
        url=rendered.url,
        unread=note.unread,
        timestamp=note.timestamp,
    )


def outbox_problems(*, status: str = "", limit: int = 200) -> QuerySet[OutboxMessage]:
    """Deliveries that need a look: failed ones, and pending ones that already had a failed attempt."""
    # Event rows only ever fail when working out their recipients failed: those belong here too.
    rows = OutboxMessage.objects.filter(
        Q(channel__in=(IN_APP, EMAIL, DIGEST)) | Q(channel=EVENT, status=OutboxMessage.Status.FAILED)
    ).select_related("recipient")
    if status == OutboxMessage.Status.FAILED:
        rows = rows.filter(status=OutboxMessage.Status.FAILED)
    elif status == OutboxMessage.Status.PENDING:
        rows = rows.filter(status=OutboxMessage.Status.PENDING)
    else:
        rows = rows.filter(
            Q(status=OutboxMessage.Status.FAILED) | Q(status=OutboxMessage.Status.PENDING, attempts__gt=0)
        ).exclude(status=OutboxMessage.Status.PENDING, last_error="")
    return rows.order_by("-created_at")[:limit]


def outbox_totals(*, days: int = 7) -> dict[str, int]:
    """Rows per delivery status over the last ``days`` (on the created_at index), for an overview."""
    since = timezone.now() - timedelta(days=days)
    counts = (
        OutboxMessage.objects.filter(created_at__gte=since, channel__in=(IN_APP, EMAIL, DIGEST))
        .values("status")
        .order_by()
        .annotate(n=Count("pk"))
    )
    totals = {status: 0 for status in OutboxMessage.Status.values}
    totals.update({row["status"]: row["n"] for row in counts})
    return totals
