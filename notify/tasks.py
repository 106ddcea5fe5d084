"""Celery tasks: deliver outbox rows (in batches over one mail connection), sweep what a lost message left behind, digests, reminders.

Tasks take ids and call the delivery functions; retries live here. ``dispatch_outbox`` is the
engine's after-commit dispatcher: it never raises into the request that committed the event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from kombu.pools import producers

from engine.models import OutboxMessage

from . import delivery

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=10)
def deliver_outbox_message(self, message_id: int) -> str:  # noqa: ANN001 - Celery binds the task
    """Deliver one outbox row; retried with exponential back-off, then marked ``failed``."""
    outcome = delivery.deliver(message_id, retry_now=bool(self.request.is_eager))
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(bind=True, acks_late=True, ignore_result=True)
def deliver_outbox_batch(self, message_ids: list[int]) -> dict[str, int]:  # noqa: ANN001 - Celery binds the task
    """Deliver many rows over one mail connection; a row that failed is retried on its own, with back-off."""
    outcome = delivery.deliver_batch(message_ids, retry_now=bool(self.request.is_eager))
    for message_id, delay in outcome.retry:
        deliver_outbox_message.apply_async((message_id,), countdown=delay, **_queue())
    return {"sent": outcome.sent, "skipped": outcome.skipped, "failed": outcome.failed, "noop": outcome.noop}


def _queue() -> dict[str, str]:
    queue = delivery.conf("QUEUE")
    return {"queue": queue} if queue else {}


def enqueue(ids: Iterable[int]) -> int:
    """Hand rows to the workers, ``BATCH_SIZE`` rows per task; returns how many rows were handed over.

    Publishing does not retry: a row the broker did not take stays pending for the sweep.
    """
    ids = list(ids)
    if not ids:
        return 0
    if deliver_outbox_message.app.conf.task_always_eager:
        for message_id in ids:
            deliver_outbox_message.apply_async((message_id,), **_queue())
        return len(ids)
    size = max(1, int(delivery.conf("BATCH_SIZE")))
    batches = [(ids[start : start + size],) for start in range(0, len(ids), size)]
    published = _publish(deliver_outbox_batch, batches)
    return sum(len(batch[0]) for batch in batches[:published])


def _publish(task: Any, calls: list[tuple]) -> int:
    """Send ``task`` once per argument tuple through a pooled producer; no retry on a broker error."""
    connection = _broker_connection(task.app)
    sent = 0
    with producers[connection].acquire(block=True, timeout=5) as producer:
        for args in calls:
            # ``repr`` of a tuple of id lists is what Celery's ``saferepr`` would show, at a fraction of its cost.
            task.apply_async(
                args, producer=producer, retry=False, argsrepr=repr(args)[:1024], kwargsrepr="{}", **_queue()
            )
            sent += 1
    return sent


#: broker URL → the connection the producers' pool is keyed by (built once per URL: building it reads
#: a dozen settings, a third of a publish's own time)
_connections: dict[str, Any] = {}


def _broker_connection(app: Any) -> Any:
    """The connection to publish through: the broker URL as set now, and a refused connection fails at once."""
    url = app.conf.broker_write_url or app.conf.broker_url or ""
    connection = _connections.get(url)
    if connection is None:
        connection = app.connection_for_write(url or None, transport_options={"max_retries": 0}, connect_timeout=2)
        _connections[url] = connection
    return connection


@shared_task(ignore_result=True)
def fan_out(ids: list[int]) -> int:
    """Queue the delivery tasks of many rows, from a worker rather than from the web request."""
    return enqueue(ids)


def dispatch_outbox(ids: list[int]) -> None:
    """The engine's ``OUTBOX_DISPATCHER``: queue the committed rows that need delivering now.

    Never raises: the rows are committed, and whatever is not handed over now the sweep hands over.
    """
    try:
        # By primary key only, filtered here: a status predicate could lead the planner to the
        # pending-rows index, slow exactly when a broker outage has let pending rows pile up.
        due = [
            pk
            for pk, channel, status in OutboxMessage.objects.filter(pk__in=ids).values_list("pk", "channel", "status")
            if _due(channel, status)
        ]
        _hand_over(due)
    except Exception:
        # The event is committed and its rows are pending: the sweep delivers them once the broker is back.
        logger.exception("Could not hand %s outbox rows to the workers; the sweep will retry", len(ids))


def dispatch_rows(rows: list[OutboxMessage]) -> None:
    """``dispatch_outbox`` for rows the engine has just written and committed: nothing to read back.

    The engine hands over the rows as it wrote them, so their channel and status are known without
    a query. Choosing from them is safe: the worker re-reads each row and delivers only a pending
    one, so a row changed later in the same transaction is at worst handed over for nothing.
    """
    try:
        _hand_over([row.pk for row in rows if _due(row.channel, row.status)])
    except Exception:
        logger.exception("Could not hand %s outbox rows to the workers; the sweep will retry", len(rows))


# The engine calls ``from_rows`` when the rows are at hand (``engine.outbox.dispatch_after_commit``).
dispatch_outbox.from_rows = dispatch_rows  # type: ignore[attr-defined]


def _due(channel: str, status: str) -> bool:
    """A row a worker should deliver now: a direct channel (not the event record, not the digest), pending."""
    return channel in delivery.DIRECT_CHANNELS and status == OutboxMessage.Status.PENDING


def _hand_over(due: list[int]) -> None:
    # Each publish is a round trip to the broker, and the web request should pay for one:
    # rows that fill more than one batch are split into batches by a worker.
    if len(due) > int(delivery.conf("BATCH_SIZE")) and not fan_out.app.conf.task_always_eager:
        _publish(fan_out, [(due,)])
    else:
        enqueue(due)


@shared_task(ignore_result=True)
def sweep_outbox(older_than_seconds: float | None = None) -> int:
    """Re-queue rows left pending (a lost broker message, a worker that died mid-send)."""
    ids = delivery.stale_pending_ids(older_than=older_than_seconds)
    return enqueue(ids)


@shared_task(ignore_result=True)
def send_due_digests() -> int:
    """Queue one digest email per person whose digest time has come."""
    from .digest import due_digests

    sent = 0
    for user_id in due_digests():
        deliver_digest.apply_async((user_id,), **_queue())
        sent += 1
    return sent


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=10)
def deliver_digest(self, user_id: int) -> str:  # noqa: ANN001
    """Send one person's digest of everything due; retried with back-off like single messages."""
    from .digest import deliver_digest as send

    outcome = send(user_id, retry_now=bool(self.request.is_eager))
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def scan_reminders() -> int:
    """Meetings in 48 hours, action items due soon or overdue: each reminder emitted once."""
    from .reminders import scan

    return scan()
