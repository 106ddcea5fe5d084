"""manage.py run_periodic: the beat schedule's jobs run in-process (the embedded demo, small deployments)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

import engine
from engine.models import OutboxMessage, SlaClock, SlaPolicy
from notify import routing
from notify.models import UserSettings

pytestmark = pytest.mark.django_db

BEIRUT = ZoneInfo("Asia/Beirut")


def test_run_periodic_once_sends_a_due_digest_and_runs_the_sla_scan(ticket, audiences, speaks, monkeypatch):
    # given a reader of a daily digest with an event waiting past its digest time
    reader = speaks(audiences["requester"], "en", digest=UserSettings.Digest.DAILY, digest_hour=18)
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("requester",), kind="accept"),))
    SlaPolicy.objects.create(flow="sample.ticket", state="open", allowance_days=1, owner="staff", on_breach="escalate")
    # ... and a ticket opened a month ago: its one-day clock is long overdue
    engine.run(ticket, "open", actor=audiences["staff"], occurred_at=timezone.now() - dt.timedelta(days=30))
    OutboxMessage.objects.filter(recipient=reader, channel=routing.DIGEST).update(
        deliver_after=timezone.now() - dt.timedelta(minutes=1)
    )
    assert mail.outbox == []
    # when the periodic jobs run once
    out = StringIO()
    with translation.override("en"):
        call_command("run_periodic", "--once", stdout=out)
    # then the digest went out and the clock was found breached
    assert [message.to for message in mail.outbox] == [["requester@example.org"]]
    assert SlaClock.objects.get(case_id=ticket.pk, state="open").status == "breached"
    assert OutboxMessage.objects.filter(case_id=ticket.pk, event="sla_breach").exists()
    # with a progress line per job of the beat schedule
    lines = out.getvalue().splitlines()
    for job in ("sla-scan", "notify-digests", "notify-reminders", "notify-sweep"):
        assert any(f" {job}: done in " in line for line in lines), (job, lines)


def test_run_periodic_refuses_a_bad_interval():
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("run_periodic", "--interval", "0")
    assert caught.value.returncode == 2 and "positive" in str(caught.value)


def test_run_periodic_loops_until_stopped(monkeypatch, settings):
    from engine.management.commands import run_periodic

    settings.CELERY_BEAT_SCHEDULE = {"sweep": {"task": "notify.tasks.sweep_outbox", "schedule": 60.0}}
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(run_periodic.time, "sleep", sleep)
    out = StringIO()
    with translation.override("en"):
        call_command("run_periodic", "--interval", "5", stdout=out)
    # the sweep ran on the first look only (its period is a minute), then the loop stopped cleanly
    assert naps == [5.0, 5.0]
    assert out.getvalue().count("sweep: done in") == 1
    assert "stopped" in out.getvalue()
