"""Batch delivery: many rows over one mail connection, each row sent exactly once."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from notifications.models import Notification

import engine
from engine.models import OutboxMessage
from notify import delivery, routing, tasks
from tests.concurrency import race

pytestmark = pytest.mark.django_db

OPENED: list[int] = []


class CountingBackend(LocmemBackend):
    """The in-memory outbox, counting the connections opened, as the SMTP backend makes them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = None

    def open(self):
        if self.connection is not None:
            return False
        self.connection = object()
        OPENED.append(1)
        return True

    def close(self):
        self.connection = None

    def send_messages(self, messages):
        opened = self.open()
        try:
            return super().send_messages(messages)
        finally:
            if opened:
                self.close()


class FlakyBackend(CountingBackend):
    """Refuses mail for one address, as a server rejecting one recipient would."""

    def send_messages(self, messages):
        if any("member-3@" in address for message in messages for address in message.to):
            raise ConnectionResetError("connection reset by the server")
        return super().send_messages(messages)


@pytest.fixture
def crowd_rows(make_user, ticket, audiences, monkeypatch, settings):
    """A transition telling twenty people by email and in the app: 40 pending rows, not handed out yet."""
    monkeypatch.setitem(settings.ENGINE, "OUTBOX_DISPATCHER", "")
    people = [make_user(f"member-{i}") for i in range(20)]
    monkeypatch.setitem(audiences, "secretariat", people)
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("secretariat",)),))
    engine.run(ticket, "open", actor=audiences["staff"])
    OPENED.clear()
    rows = OutboxMessage.objects.filter(case_id=ticket.pk, event="open").exclude(channel=routing.EVENT)
    assert rows.count() == 40
    return rows


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_one_batch_sends_every_email_over_one_connection(crowd_rows, settings):
    settings.EMAIL_BACKEND = "tests.notify.test_batch_delivery.CountingBackend"
    settings.NOTIFY = {"CHUNK_SIZE": 7, "CONNECTIONS": 1}
    ids = list(crowd_rows.values_list("pk", flat=True))
    # when one batch takes all forty rows
    outcome = delivery.deliver_batch(ids)
    # then twenty emails went over one connection, twenty in-app notifications were written
    assert (outcome.sent, outcome.noop, outcome.retry) == (40, 0, [])
    assert len(OPENED) == 1
    assert _recipients() == sorted(f"member-{i}@example.org" for i in range(20))
    assert Notification.objects.count() == 20
    assert set(crowd_rows.values_list("status", "attempts")) == {(OutboxMessage.Status.SENT, 1)}
    assert not crowd_rows.filter(sent_at__isnull=True).exists()
    # and the same batch again (a duplicate broker message) sends nothing more
    again = delivery.deliver_batch(ids)
    assert (again.sent, again.noop) == (0, 40)
    assert len(mail.outbox) == 20 and Notification.objects.count() == 20


def test_a_failing_email_is_retried_alone_and_the_rest_is_delivered(crowd_rows, settings):
    settings.EMAIL_BACKEND = "tests.notify.test_batch_delivery.FlakyBackend"
    ids = list(crowd_rows.values_list("pk", flat=True))
    # when
    outcome = delivery.deliver_batch(ids)
    # then only member-3's email waits for a retry, with the error on its row
    failing = crowd_rows.get(recipient__username="member-3", channel=routing.EMAIL)
    assert outcome.sent == 39 and [pk for pk, _delay in outcome.retry] == [failing.pk]
    failing.refresh_from_db()
    assert failing.status == OutboxMessage.Status.PENDING and failing.attempts == 1
    assert "ConnectionResetError" in failing.last_error and failing.deliver_after is not None
    assert len(mail.outbox) == 19 and "member-3@example.org" not in _recipients()


def test_the_batch_task_retries_the_failed_row_on_its_own(crowd_rows, settings):
    # given the server refuses one address for good; tasks run in-process, retries follow at once
    settings.EMAIL_BACKEND = "tests.notify.test_batch_delivery.FlakyBackend"
    settings.NOTIFY = {"MAX_ATTEMPTS": 3}
    ids = list(crowd_rows.values_list("pk", flat=True))
    # when
    result = tasks.deliver_outbox_batch.apply_async((ids,)).get()
    # then
    assert result["sent"] == 39
    failing = crowd_rows.get(recipient__username="member-3", channel=routing.EMAIL)
    assert (failing.status, failing.attempts) == (OutboxMessage.Status.FAILED, 3)
    assert len(mail.outbox) == 19


def test_a_batch_spreads_its_emails_over_the_configured_connections(crowd_rows, settings):
    settings.EMAIL_BACKEND = "tests.notify.test_batch_delivery.CountingBackend"
    settings.NOTIFY = {"CONNECTIONS": 3}
    # when one batch takes all forty rows
    outcome = delivery.deliver_batch(list(crowd_rows.values_list("pk", flat=True)))
    # then the twenty emails went out side by side over three connections, each exactly once
    assert (outcome.sent, outcome.noop, outcome.retry) == (40, 0, [])
    assert len(OPENED) == 3
    assert _recipients() == sorted(f"member-{i}@example.org" for i in range(20))
    assert set(crowd_rows.values_list("status", "attempts")) == {(OutboxMessage.Status.SENT, 1)}


def test_a_resent_email_carries_the_same_message_id(crowd_rows):
    first, second = crowd_rows.filter(channel=routing.EMAIL).order_by("pk")[:2]
    delivery.deliver_batch([first.pk])
    # when a crash between the server's acceptance and the commit left the row pending, and it goes again
    OutboxMessage.objects.filter(pk=first.pk).update(status=OutboxMessage.Status.PENDING, sent_at=None)
    delivery.deliver_batch([first.pk, second.pk])
    # then the repeat has the first email's Message-ID (a receiver can discard it); another row has its own
    ids = [message.message()["Message-ID"] for message in mail.outbox]
    assert ids[0] == ids[1] == delivery.message_id_for(first) != ids[2] == delivery.message_id_for(second)
    assert ids[0].startswith(f"<notify.{first.pk}.") and ids[0].endswith("@localhost>")


def test_each_event_and_language_is_rendered_once_per_batch_with_the_per_row_words(crowd_rows, speaks, monkeypatch):
    # given half the recipients read Arabic
    emails = list(crowd_rows.filter(channel=routing.EMAIL).select_related("recipient").order_by("pk"))
    for row in emails[::2]:
        speaks(row.recipient, "ar")
    rendered: list[str | None] = []
    render = delivery.render_message
    monkeypatch.setattr(
        delivery, "render_message", lambda row, language=None: rendered.append(language) or render(row, language)
    )
    # when one batch sends the twenty emails
    assert delivery.deliver_batch([row.pk for row in emails]).sent == 20
    # then the words were rendered once per language
    assert sorted(rendered) == ["ar", "en"]
    # and each email is the one the per-row path builds for its row
    monkeypatch.setattr(delivery, "render_message", render)
    sent = {message.to[0]: message for message in mail.outbox}
    for row in OutboxMessage.objects.filter(pk__in=[r.pk for r in emails]).select_related("recipient"):
        alone = delivery.prepare_email(row)
        batched = sent[row.recipient.email]
        assert (batched.subject, batched.body, batched.alternatives) == (alone.subject, alone.body, alone.alternatives)
        assert batched.extra_headers == alone.extra_headers
    assert {message.extra_headers["Content-Language"] for message in mail.outbox} == {"ar", "en"}


def test_an_inactive_recipient_is_skipped(crowd_rows, settings):
    crowd_rows.first().recipient.__class__.objects.filter(username="member-5").update(is_active=False)
    outcome = delivery.deliver_batch(list(crowd_rows.values_list("pk", flat=True)))
    assert (outcome.sent, outcome.skipped) == (38, 2)
    skipped = crowd_rows.filter(recipient__username="member-5")
    assert set(skipped.values_list("status", "last_error")) == {(OutboxMessage.Status.SKIPPED, "recipient inactive")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_holds_is_left_to_it(crowd_rows):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    ids = list(crowd_rows.order_by("pk").values_list("pk", flat=True))
    held = ids[:5]
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.select_for_update().filter(pk__in=held))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(10)
    try:
        # when a batch meets rows another worker holds
        outcome = delivery.deliver_batch(ids)
    finally:
        release.set()
        thread.join(10)
    # then it skips them without waiting, and delivers the rest
    assert (outcome.sent, outcome.noop) == (35, 5)
    assert crowd_rows.filter(pk__in=held, status=OutboxMessage.Status.PENDING).count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_rows_send_each_email_once(crowd_rows, settings):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    settings.NOTIFY = {"CHUNK_SIZE": 3}
    ids = list(crowd_rows.values_list("pk", flat=True))
    # when four workers race on the same forty rows, in different orders
    outcomes = race(lambda i: delivery.deliver_batch(ids if i % 2 else ids[::-1]), 4)
    # then every row was sent by exactly one of them, every email once
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o.sent for o in outcomes) == 40
    assert _recipients() == sorted(f"member-{i}@example.org" for i in range(20))
    assert Notification.objects.count() == 20
    assert set(crowd_rows.values_list("status", "attempts")) == {(OutboxMessage.Status.SENT, 1)}
