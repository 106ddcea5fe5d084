"""Delivering outbox rows: lock, send, mark; safe to run twice, safe with many workers.

A worker takes a row with ``SELECT ... FOR UPDATE SKIP LOCKED`` (still pending, due), sends it and
marks it sent in that same transaction: a second worker (a duplicate broker message, the sweep)
skips the locked row, and finds it sent once the first commits. In-app rows are written and
marked in that transaction: exactly once. An email is marked in the commit right after the
server accepted it: a crash in between can repeat it (at-least-once), never lose it; the repeat
carries the same Message-ID (``message_id_for``), so a receiver can discard it. Batches
(``deliver_batch``) claim rows ``CHUNK_SIZE`` at a time and send over ``CONNECTIONS`` open
connections. A failure is recorded on the row (attempts, last error, next try) and retried with
back-off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from engine import registry
from engine.models import OutboxMessage

from .rendering import Rendered, compose_email, email_content, render
from .routing import EMAIL, IN_APP

logger = logging.getLogger(__name__)

DIRECT_CHANNELS = (IN_APP, EMAIL)
DEFAULTS: dict[str, Any] = {
    # A queue of their own lets a deployment (or a test) run dedicated notification workers.
    "QUEUE": os.environ.get("NOTIFY_QUEUE") or None,
    "MAX_ATTEMPTS": 5,
    "RETRY_BASE_SECONDS": 30,
    "RETRY_MAX_SECONDS": 3600,
    "SWEEP_AFTER_SECONDS": 120,
    "SWEEP_BATCH": 500,
    # Rows one delivery task takes (over one SMTP connection), and rows claimed per transaction
    # within it: an email is marked sent in the commit of its chunk, so a crash between the
    # server's acceptance and that commit can repeat at most one chunk's emails, never lose one.
    "BATCH_SIZE": 100,
    "CHUNK_SIZE": 20,
    # Connections to the mail server one batch keeps open side by side: each email costs several
    # round trips (MAIL, RCPT, DATA, the message), so a worker waiting on one connection at a time
    # is bound by the server's latency, not by its own work. 1: one connection, emails in turn.
    "CONNECTIONS": int(os.environ.get("NOTIFY_CONNECTIONS") or 4),
}


def conf(name: str) -> Any:
    """A setting of ``settings.NOTIFY`` (a dict, optional) or its default."""
    return getattr(settings, "NOTIFY", {}).get(name, DEFAULTS[name])


@dataclass
class Outcome:
    status: str  # sent | skipped | failed | retry | noop
    retry_in: float = 0.0
    error: str = ""


def retry_delay(attempts: int) -> float:
    """Exponential back-off with a little jitter so retries of one outage do not arrive together."""
    base = float(conf("RETRY_BASE_SECONDS"))
    delay = min(base * 2 ** max(attempts - 1, 0), float(conf("RETRY_MAX_SECONDS")))
    return delay * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not security


def _take(message_id: int, now: datetime) -> OutboxMessage | None:
    """The row, locked, if it is pending, due and locked by no one else; None otherwise."""
    return (
        OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "recipient__notify_settings")
        .filter(pk=message_id, status=OutboxMessage.Status.PENDING, channel__in=DIRECT_CHANNELS)
        .filter(Q(deliver_after__isnull=True) | Q(deliver_after__lte=now))
        .first()
    )


def _mark(message: OutboxMessage, **fields: Any) -> int:
    return OutboxMessage.objects.filter(pk=message.pk).update(**fields)


def settle_attempt(
    rows: Any, *, attempts: int, error: str | None, now: datetime, retry_now: bool, what: str
) -> Outcome:
    """Record how an attempt on ``rows`` (a queryset) ended: sent, retry later with back-off, or failed for good."""
    if error is None:
        rows.update(
            status=OutboxMessage.Status.SENT,
            sent_at=timezone.now(),
            attempts=attempts,
            last_error="",
            deliver_after=None,
        )
        return Outcome("sent")
    if attempts >= conf("MAX_ATTEMPTS"):
        rows.update(status=OutboxMessage.Status.FAILED, attempts=attempts, last_error=error, deliver_after=None)
        logger.error("%s failed for good after %s attempts: %s", what, attempts, error)
        return Outcome("failed", error=error)
    delay = 0.0 if retry_now else retry_delay(attempts)
    # Not before the retry is due: neither the retry task nor the sweep takes it earlier.
    rows.update(attempts=attempts, last_error=error, deliver_after=now + timedelta(seconds=delay))
    logger.warning("%s attempt %s failed: %s", what, attempts, error)
    return Outcome("retry", retry_in=delay, error=error)


def recipient_language(user: Any) -> str:
    from .services import user_language_get

    return user_language_get(user) or settings.LANGUAGE_CODE


def _remember_language(user: Any) -> None:
    """Spare a query: the recipient's settings came with the row (select_related)."""
    from .models import UserSettings
    from .services import CACHE_ATTR

    try:
        user_settings = user.notify_settings
    except UserSettings.DoesNotExist:
        user_settings = None
    setattr(user, CACHE_ATTR, user_settings.language if user_settings else "")


def render_message(message: OutboxMessage, language: str | None = None) -> Rendered:
    payload = message.payload or {}
    return render(
        kind=payload.get("kind") or message.event,
        payload=payload,
        case_type=message.case_type,
        reference=message.case_reference,
        language=language,
    )


def _content_type_for_case(case_type: str) -> ContentType | None:
    try:
        model = registry.flow_for(case_type).model
    except LookupError:
        return None
    return ContentType.objects.get_for_model(model)


def deliver_in_app(message: OutboxMessage) -> None:
    """The in-app notification (the caller marks the row sent in the same transaction)."""
    from notifications.models import Notification

    user = message.recipient
    payload = message.payload or {}
    rendered = render_message(message, recipient_language(user))
    case_ct = _content_type_for_case(message.case_type)
    actor_id = payload.get("actor_id")
    if actor_id:
        actor_ct, actor_pk = ContentType.objects.get_for_model(type(user)), actor_id
    elif case_ct is not None and message.case_id is not None:
        # The platform itself acted (an SLA scan, a reminder): the case stands as the actor.
        actor_ct, actor_pk = case_ct, message.case_id
    else:
        actor_ct, actor_pk = ContentType.objects.get_for_model(type(user)), user.pk
    Notification.objects.create(
        recipient=user,
        actor_content_type=actor_ct,
        actor_object_id=str(actor_pk),
        verb=rendered.kind,
        description=rendered.subject,
        target_content_type=case_ct if message.case_id is not None else None,
        target_object_id=str(message.case_id) if message.case_id is not None and case_ct else None,
        timestamp=message.created_at,
        data={
            "outbox_id": message.pk,
            "event": message.event,
            "kind": rendered.kind,
            "case_type": message.case_type,
            "reference": message.case_reference,
            "payload": payload,
        },
    )


def attachments_for(message: OutboxMessage) -> list[tuple[str, bytes, str]]:
    if not (message.payload or {}).get("ics"):
        return []
    from .partnership import meeting_ics_for

    content = meeting_ics_for(message)
    if not content:
        return []
    return [(f"{message.case_reference or 'meeting'}.ics", content, "text/calendar")]


def message_id_for(message: OutboxMessage) -> str:
    """The row's own Message-ID, the same on every attempt: a receiver can discard a repeat.

    From the row's id and dedupe key, at the domain of ``DEFAULT_FROM_EMAIL`` (the same on every
    worker host, unlike the host name Django puts in a Message-ID of its own).
    """
    domain = str(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2].strip(" >") or "localhost"
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:16]
    return f"<notify.{message.pk}.{digest}@{domain}>"


def _content_key(message: OutboxMessage, language: str) -> str:
    return json.dumps(
        [language, message.event, message.case_type, message.case_reference, message.payload or {}],
        sort_keys=True,
        default=str,
    )


def prepare_email(message: OutboxMessage, shared: dict[str, Any] | None = None) -> EmailMultiAlternatives:
    """The row's email, not sent. ``shared`` (a dict kept for a batch) renders the words once.

    The event template is the same for every recipient of one event in one language (it names no
    recipient): rows with the same event, payload and language share one rendering.
    """
    user = message.recipient
    language = recipient_language(user)
    key = _content_key(message, language) if shared is not None else ""
    content = shared.get(key) if shared is not None else None
    if content is None:
        rendered = render_message(message, language)
        text, html = email_content(language=language, template="event", context={"item": rendered})
        content = (rendered.subject, text, html)
        if shared is not None:
            shared[key] = content
    subject, text, html = content
    return compose_email(
        to=user.email,
        language=language,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments_for(message),
        message_id=message_id_for(message),
    )


def deliver_email(message: OutboxMessage, connection: Any = None) -> None:
    """Send the row's email; over ``connection`` (an open email backend) when given."""
    email = prepare_email(message)
    if connection is not None:
        email.connection = connection
    email.send(fail_silently=False)


def _why_not_deliverable(message: OutboxMessage) -> str:
    user = message.recipient
    if user is None:
        return "no recipient"
    if not user.is_active:
        return "recipient inactive"
    if message.channel == EMAIL and not user.email:
        return "recipient has no email address"
    return ""


def deliver(message_id: int, *, retry_now: bool = False) -> Outcome:
    """Deliver one outbox row; a failure is recorded and either scheduled for retry or final."""
    now = timezone.now()
    with transaction.atomic():
        message = _take(message_id, now)
        if message is None:
            return Outcome("noop")
        why_not = _why_not_deliverable(message)
        if why_not:
            _mark(message, status=OutboxMessage.Status.SKIPPED, last_error=why_not, deliver_after=None)
            return Outcome("skipped", error=why_not)
        attempts = message.attempts + 1
        _remember_language(message.recipient)
        error = None
        try:
            if message.channel == IN_APP:
                with transaction.atomic():
                    deliver_in_app(message)
            else:
                deliver_email(message)
        except Exception as exc:  # noqa: BLE001 - any failure of a channel is recorded on the row
            error = f"{type(exc).__name__}: {exc}"[:2000]
        return settle_attempt(
            OutboxMessage.objects.filter(pk=message.pk),
            attempts=attempts,
            error=error,
            now=now,
            retry_now=retry_now,
            what=f"Outbox message {message.pk}",
        )


@dataclass
class BatchOutcome:
    """What one batch delivery did; ``retry`` holds (row id, seconds) for the rows to try again."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    noop: int = 0
    retry: list[tuple[int, float]] = field(default_factory=list)


def _claim(ids: list[int], now: datetime) -> list[OutboxMessage]:
    """Those of ``ids`` that are pending and due, locked; rows another worker holds are skipped."""
    return list(
        OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "recipient__notify_settings")
        .filter(pk__in=ids, status=OutboxMessage.Status.PENDING, channel__in=DIRECT_CHANNELS)
        .filter(Q(deliver_after__isnull=True) | Q(deliver_after__lte=now))
        .order_by("pk")
    )


class Mailers:
    """Up to ``CONNECTIONS`` connections to the mail server for one batch, opened when first used.

    ``send`` spreads a chunk's emails over them, each connection sending its share in turn on a
    thread of its own (the waiting is on the network; rendering happened before). A failed email
    closes its connection, which the next email on it opens again.
    """

    def __init__(self, size: int | None = None) -> None:
        self.size = max(1, int(conf("CONNECTIONS") if size is None else size))
        self.backends = [get_connection(fail_silently=False) for _ in range(self.size)]
        self.pool = ThreadPoolExecutor(self.size, thread_name_prefix="notify-smtp") if self.size > 1 else None

    def send(self, emails: list[tuple[int, EmailMultiAlternatives]]) -> dict[int, str]:
        """Send every (row id, email); returns the error of each row that failed (absent: sent)."""
        lanes = [(backend, emails[i :: self.size]) for i, backend in enumerate(self.backends)]
        lanes = [lane for lane in lanes if lane[1]]
        if self.pool is None or len(lanes) < 2:
            results = [_send_lane(*lane) for lane in lanes]
        else:
            results = list(self.pool.map(lambda lane: _send_lane(*lane), lanes))
        return {pk: error for errors in results for pk, error in errors.items()}

    def close(self) -> None:
        for backend in self.backends:
            _close_quietly(backend)
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def _send_lane(backend: Any, emails: list[tuple[int, EmailMultiAlternatives]]) -> dict[int, str]:
    errors: dict[int, str] = {}
    for pk, email in emails:
        try:
            # Opens the connection once (again after a failure closed it); a no-op while open.
            backend.open()
            email.connection = backend
            backend.send_messages([email])
        except Exception as exc:  # noqa: BLE001 - any failure of a channel is recorded on the row
            errors[pk] = f"{type(exc).__name__}: {exc}"[:2000]
            # The connection may be dead: the next email opens a fresh one.
            _close_quietly(backend)
    return errors


def deliver_batch(ids: list[int], *, retry_now: bool = False) -> BatchOutcome:
    """Deliver many rows: emails over a few connections kept open for the whole batch (``Mailers``).

    Rows are claimed ``CHUNK_SIZE`` at a time with ``SELECT … FOR UPDATE SKIP LOCKED`` and marked
    in that chunk's transaction (sent rows in one UPDATE): two workers given the same ids never
    both send a row, and a row sent and committed is never taken again. The guarantee is
    at-least-once with a stable Message-ID (``message_id_for``): only a crash after the server
    accepted an email and before its chunk committed sends it again (the sweep finds the row
    pending), with the same Message-ID. Each (event, language) is rendered once per batch. A
    failure is recorded on its row alone (``settle_attempt``) and the batch goes on.
    """
    outcome = BatchOutcome()
    ids = list(dict.fromkeys(ids))
    mailers = Mailers()
    shared: dict[str, Any] = {}
    chunk_size = max(1, int(conf("CHUNK_SIZE")))
    try:
        for start in range(0, len(ids), chunk_size):
            chunk = ids[start : start + chunk_size]
            now = timezone.now()
            with transaction.atomic():
                rows = _claim(chunk, now)
                outcome.noop += len(chunk) - len(rows)
                errors: dict[int, str] = {}
                skipped: dict[str, list[int]] = {}
                emails: list[tuple[int, EmailMultiAlternatives]] = []
                for message in rows:
                    why_not = _why_not_deliverable(message)
                    if why_not:
                        skipped.setdefault(why_not, []).append(message.pk)
                        continue
                    _remember_language(message.recipient)
                    try:
                        if message.channel == IN_APP:
                            with transaction.atomic():
                                deliver_in_app(message)
                        else:
                            emails.append((message.pk, prepare_email(message, shared)))
                    except Exception as exc:  # noqa: BLE001 - any failure of a channel is recorded on the row
                        errors[message.pk] = f"{type(exc).__name__}: {exc}"[:2000]
                errors.update(mailers.send(emails))
                not_sent = errors.keys() | {pk for pks in skipped.values() for pk in pks}
                sent = [message.pk for message in rows if message.pk not in not_sent]
                for message in rows:
                    if message.pk not in errors:
                        continue
                    result = settle_attempt(
                        OutboxMessage.objects.filter(pk=message.pk),
                        attempts=message.attempts + 1,
                        error=errors[message.pk],
                        now=now,
                        retry_now=retry_now,
                        what=f"Outbox message {message.pk}",
                    )
                    if result.status == "retry":
                        outcome.retry.append((message.pk, result.retry_in))
                    else:
                        outcome.failed += 1
                for why_not, skipped_ids in skipped.items():
                    OutboxMessage.objects.filter(pk__in=skipped_ids).update(
                        status=OutboxMessage.Status.SKIPPED, last_error=why_not, deliver_after=None
                    )
                    outcome.skipped += len(skipped_ids)
                if sent:
                    OutboxMessage.objects.filter(pk__in=sent).update(
                        status=OutboxMessage.Status.SENT,
                        sent_at=timezone.now(),
                        attempts=F("attempts") + 1,
                        last_error="",
                        deliver_after=None,
                    )
                    outcome.sent += len(sent)
    finally:
        mailers.close()
    return outcome


def _close_quietly(mailer: Any) -> None:
    try:
        mailer.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail too
        logger.debug("closing the mail connection failed", exc_info=True)


def stale_pending_ids(now: datetime | None = None, older_than: float | None = None) -> list[int]:
    """Pending rows nobody is working on: never handed out (a lost message), or their retry long overdue."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=conf("SWEEP_AFTER_SECONDS") if older_than is None else older_than)
    return list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, channel__in=DIRECT_CHANNELS, created_at__lte=cutoff
        )
        .filter(Q(deliver_after__isnull=True) | Q(deliver_after__lte=cutoff))
        .order_by("created_at")
        .values_list("pk", flat=True)[: conf("SWEEP_BATCH")]
    )
