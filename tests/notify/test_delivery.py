from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from notifications.models import Notification

import engine
from engine.models import OutboxMessage
from notify import delivery, routing, tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(ticket, audiences, ticket_routes):
    """The ticket opened by staff: the secretary has a pending email row and in-app row."""
    engine.run(ticket, "open", actor=audiences["staff"])
    return ticket


def _row(ticket, channel, username="secretary"):
    return OutboxMessage.objects.get(case_id=ticket.pk, event="open", channel=channel, recipient__username=username)


class BrokenBackend:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def test_sending_twice_sends_once(opened):
    # given
    row = _row(opened, "email")
    # when the same row is handed out twice (a duplicate broker message, a sweep racing a worker)
    first = delivery.deliver(row.pk)
    second = delivery.deliver(row.pk)
    # then
    assert (first.status, second.status) == ("sent", "noop")
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.deliver_after, row.last_error) == (OutboxMessage.Status.SENT, 1, None, "")
    assert row.sent_at is not None


def test_in_app_row_becomes_one_notification(opened, audiences):
    # given
    row = _row(opened, "in_app")
    # when
    delivery.deliver(row.pk)
    delivery.deliver(row.pk)
    # then
    note = Notification.objects.get(recipient=audiences["secretary"])
    assert note.verb == "open" and note.data["outbox_id"] == row.pk and note.data["reference"] == opened.reference
    assert note.target == opened and note.actor == audiences["staff"]
    assert note.timestamp == row.created_at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_is_sending_is_left_alone(ticket, audiences, ticket_routes, settings):
    import threading

    from django.db import connections, transaction

    # given the rows are committed (not dispatched), and another worker holds the email row (mid-send)
    settings.ENGINE = {**settings.ENGINE, "OUTBOX_DISPATCHER": ""}
    engine.run(ticket, "open", actor=audiences["staff"])
    row = _row(ticket, "email")
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=row.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        # when this worker gets the same id
        outcome = delivery.deliver(row.pk)
    finally:
        release.set()
        thread.join()
    # then it does nothing: no second email, the row untouched
    assert outcome.status == "noop" and mail.outbox == []
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.PENDING, 0)


def test_failure_is_recorded_and_retried_with_exponential_back_off(opened, settings):
    # given the mail server is down
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.BrokenBackend"
    settings.NOTIFY = {"RETRY_BASE_SECONDS": 10, "MAX_ATTEMPTS": 3}
    row = _row(opened, "email")
    # when
    first = delivery.deliver(row.pk)
    # then the error is on the row and it waits about 10 s before the next try
    row.refresh_from_db()
    assert first.status == "retry" and 9 <= first.retry_in <= 11
    assert row.status == OutboxMessage.Status.PENDING and "SMTP server unreachable" in row.last_error
    assert row.deliver_after > timezone.now() + timedelta(seconds=8)
    # and a second try, once due, waits about twice as long
    OutboxMessage.objects.filter(pk=row.pk).update(deliver_after=timezone.now())
    second = delivery.deliver(row.pk)
    assert second.status == "retry" and 18 <= second.retry_in <= 22
    # and after the last attempt the row is failed for good, with its error, visible to the secretariat
    OutboxMessage.objects.filter(pk=row.pk).update(deliver_after=timezone.now())
    third = delivery.deliver(row.pk)
    row.refresh_from_db()
    assert third.status == "failed"
    assert (row.status, row.attempts) == (OutboxMessage.Status.FAILED, 3)
    assert "ConnectionRefusedError" in row.last_error


def test_the_task_retries_through_celery_then_fails(opened, settings):
    # given the mail server is down; tasks run in-process (no broker), so retries follow at once
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.BrokenBackend"
    settings.NOTIFY = {"MAX_ATTEMPTS": 4}
    row = _row(opened, "email")
    # when
    tasks.deliver_outbox_message.apply_async((row.pk,))
    # then
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.FAILED, 4)


def test_the_server_coming_back_before_the_last_attempt_delivers(opened, settings):
    # given one failed attempt
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.BrokenBackend"
    row = _row(opened, "email")
    delivery.deliver(row.pk)
    # when the server is back and the retry is due
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.filter(pk=row.pk).update(deliver_after=timezone.now())
    outcome = delivery.deliver(row.pk)
    # then
    row.refresh_from_db()
    assert outcome.status == "sent" and len(mail.outbox) == 1
    assert (row.status, row.attempts, row.last_error) == (OutboxMessage.Status.SENT, 2, "")


def test_nobody_to_deliver_to_is_skipped_not_failed(opened, audiences):
    # given the recipient left after the event
    secretary = audiences["secretary"]
    secretary.is_active = False
    secretary.save()
    row = _row(opened, "email")
    # when
    outcome = delivery.deliver(row.pk)
    # then
    row.refresh_from_db()
    assert outcome.status == "skipped" and row.status == OutboxMessage.Status.SKIPPED
    assert row.last_error == "recipient inactive" and mail.outbox == []


def test_sweep_requeues_only_rows_left_pending(opened, settings):
    # given two rows nobody dispatched (a lost broker message), one fresh row, and one row being retried
    settings.NOTIFY = {"SWEEP_AFTER_SECONDS": 120}
    email, in_app = _row(opened, "email"), _row(opened, "in_app")
    long_ago = timezone.now() - timedelta(minutes=10)
    OutboxMessage.objects.filter(pk__in=[email.pk, in_app.pk]).update(created_at=long_ago)
    assert set(delivery.stale_pending_ids()) == {email.pk, in_app.pk}
    OutboxMessage.objects.filter(pk=in_app.pk).update(deliver_after=timezone.now() + timedelta(seconds=30))
    # when
    queued = tasks.sweep_outbox()
    # then only the forgotten email went out; the row waiting for its retry was left to it
    assert queued == 1 and len(mail.outbox) == 1
    assert OutboxMessage.objects.get(pk=email.pk).status == OutboxMessage.Status.SENT
    assert OutboxMessage.objects.get(pk=in_app.pk).status == OutboxMessage.Status.PENDING
    # and a second sweep finds nothing more to do
    assert tasks.sweep_outbox() == 0 and len(mail.outbox) == 1


def test_dispatcher_never_raises_into_the_request(opened, monkeypatch, caplog):
    # given the broker refuses the connection
    def refuse(ids):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks, "enqueue", refuse)
    ids = list(OutboxMessage.objects.filter(case_id=opened.pk).values_list("pk", flat=True))
    # when
    tasks.dispatch_outbox(ids)
    # then it is logged, and the rows wait for the sweep
    assert "the sweep will retry" in caplog.text
    assert OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.PENDING).count() == 2


def test_dispatcher_queues_only_rows_due_now(ticket, audiences, ticket_routes, speaks, monkeypatch):
    # given the requester reads a daily digest
    speaks(audiences["requester"], "en", digest="daily")
    queued: list[int] = []
    monkeypatch.setattr(tasks, "enqueue", lambda ids: queued.extend(ids))
    engine.run(ticket, "open", actor=audiences["staff"])
    engine.run(ticket, "ask", actor=audiences["staff"], data={"note": "which floor?"})
    ids = list(OutboxMessage.objects.filter(case_id=ticket.pk).values_list("pk", flat=True))
    # when
    tasks.dispatch_outbox(ids)
    # then the event records and the digest row are not handed to workers
    channels = set(OutboxMessage.objects.filter(pk__in=queued).values_list("channel", flat=True))
    assert channels == {routing.IN_APP, routing.EMAIL}
    assert not OutboxMessage.objects.filter(pk__in=queued, recipient__username="requester", channel="email").exists()


@pytest.mark.parametrize("channel", ["email", "in_app"])
def test_a_row_whose_recipient_is_gone_is_skipped_not_failed(opened, channel):
    # given a row whose user was removed without Django (no database constraint holds the row to it)
    row = _row(opened, channel)
    missing = (get_user_model().objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    OutboxMessage.objects.filter(pk=row.pk).update(recipient_id=missing)
    # when
    outcome = delivery.deliver(row.pk)
    # then nothing is sent, and the row says why
    row.refresh_from_db()
    assert outcome.status == "skipped" and row.status == OutboxMessage.Status.SKIPPED
    assert row.last_error == "no recipient"
    assert mail.outbox == [] and not Notification.objects.filter(data__outbox_id=row.pk).exists()


def test_deleting_a_user_through_django_deletes_their_rows(opened, audiences):
    # given
    secretary = audiences["secretary"]
    secretary_id = secretary.pk
    assert OutboxMessage.objects.filter(recipient_id=secretary_id).exists()
    event_rows = OutboxMessage.objects.filter(case_id=opened.pk, channel=routing.EVENT).count()
    # when
    secretary.delete()
    # then Django's CASCADE removed their rows; the event's own rows stay
    assert not OutboxMessage.objects.filter(recipient_id=secretary_id).exists()
    assert OutboxMessage.objects.filter(case_id=opened.pk, channel=routing.EVENT).count() == event_rows
