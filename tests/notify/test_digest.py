from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

import engine
from engine.models import OutboxMessage
from notify import digest, routing, tasks
from notify.models import UserSettings

pytestmark = pytest.mark.django_db

BEIRUT = ZoneInfo("Asia/Beirut")


def test_next_digest_time_is_the_next_local_hour():
    morning = dt.datetime(2026, 3, 2, 6, 30, tzinfo=BEIRUT)
    assert digest.next_digest_time(7, morning) == dt.datetime(2026, 3, 2, 7, 0, tzinfo=BEIRUT)
    assert digest.next_digest_time(7, morning.replace(hour=7)) == dt.datetime(2026, 3, 3, 7, 0, tzinfo=BEIRUT)
    # across the spring change of clocks (Lebanon: last Sunday of March), still 07:00 local
    assert timezone.localtime(digest.next_digest_time(7, dt.datetime(2026, 3, 28, 20, 0, tzinfo=BEIRUT))).hour == 7


@pytest.fixture
def digest_reader(audiences, speaks):
    """The requester reads Arabic and takes one email a day at 18:00."""
    return speaks(audiences["requester"], "ar", digest=UserSettings.Digest.DAILY, digest_hour=18)


def _day_of_events(ticket, audiences, monkeypatch):
    """Three events the requester hears about in one day."""
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("requester",), kind="accept"),))
    monkeypatch.setitem(
        routing.routes_for("sample.ticket"), "ask", (routing.Rule(("requester",), kind="request_info"),)
    )
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "resolve", (routing.Rule(("requester",), kind="close"),))
    engine.run(ticket, "open", actor=audiences["staff"])
    engine.run(ticket, "ask", actor=audiences["staff"], data={"note": "Which printer?"})
    engine.run(ticket, "resolve", actor=audiences["staff"])


def test_a_days_events_become_one_email_in_the_readers_language(ticket, audiences, digest_reader, monkeypatch):
    # given three events during the day
    _day_of_events(ticket, audiences, monkeypatch)
    rows = OutboxMessage.objects.filter(recipient=digest_reader, channel=routing.DIGEST)
    assert rows.count() == 3 and mail.outbox == []
    # when the hourly task runs before the digest hour: nothing
    assert tasks.send_due_digests() == 0
    # when it runs after the digest hour (twice, as a second beat or worker might)
    rows.update(deliver_after=timezone.now() - dt.timedelta(minutes=1))
    assert tasks.send_due_digests() == 1
    assert tasks.send_due_digests() == 0
    # then one email, in Arabic, listing the three events
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["requester@example.org"]
    assert message.subject == "موجزك اليومي: 3 مستجدات"
    assert ticket.reference in message.body and message.body.count(ticket.reference) >= 3
    assert "قُبل الطلب" in message.body and "أُغلق الطلب" in message.body
    assert 'dir="rtl"' in message.alternatives[0][0]
    assert set(rows.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}
    # and the in-app notifications never waited for the digest
    in_app = OutboxMessage.objects.filter(recipient=digest_reader, channel=routing.IN_APP)
    assert in_app.count() == 3 and set(in_app.values_list("deliver_after", flat=True)) == {None}


def test_the_next_days_events_wait_for_the_next_digest(ticket, audiences, digest_reader, monkeypatch):
    # given yesterday's digest went out
    _day_of_events(ticket, audiences, monkeypatch)
    OutboxMessage.objects.filter(channel=routing.DIGEST).update(deliver_after=timezone.now())
    digest.deliver_digest(digest_reader.pk)
    # when a new event comes
    engine.run(ticket, "reopen", actor=audiences["staff"], data={"note": "Still broken"})
    # then it waits for the next digest time, not sent with the past one
    assert digest.due_digests() == []
    assert len(mail.outbox) == 1


def test_a_failing_digest_is_retried_then_failed_on_every_row(ticket, audiences, digest_reader, monkeypatch, settings):
    # given the mail server is down
    _day_of_events(ticket, audiences, monkeypatch)
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.BrokenBackend"
    settings.NOTIFY = {"MAX_ATTEMPTS": 2, "RETRY_BASE_SECONDS": 60}
    rows = OutboxMessage.objects.filter(recipient=digest_reader, channel=routing.DIGEST)
    rows.update(deliver_after=timezone.now())
    # when
    first = digest.deliver_digest(digest_reader.pk)
    # then all rows wait for the retry, with the error
    assert first.status == "retry" and 50 <= first.retry_in <= 70
    assert set(rows.values_list("status", "attempts")) == {(OutboxMessage.Status.PENDING, 1)}
    assert all("SMTP server unreachable" in error for error in rows.values_list("last_error", flat=True))
    # when the second try fails too
    rows.update(deliver_after=timezone.now())
    assert digest.deliver_digest(digest_reader.pk).status == "failed"
    assert set(rows.values_list("status", flat=True)) == {OutboxMessage.Status.FAILED}


def test_digest_for_someone_who_left_is_skipped(ticket, audiences, digest_reader, monkeypatch):
    _day_of_events(ticket, audiences, monkeypatch)
    OutboxMessage.objects.filter(channel=routing.DIGEST).update(deliver_after=timezone.now())
    digest_reader.is_active = False
    digest_reader.save()
    assert digest.deliver_digest(digest_reader.pk).status == "skipped"
    assert mail.outbox == []
