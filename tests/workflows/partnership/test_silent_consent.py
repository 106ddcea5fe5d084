"""Silence is consent, told truly: the scan as of a past moment confirms the minutes at that moment, no breach."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from engine.models import AuditEvent, OutboxMessage, SlaClock
from notify import messages
from portal import reports
from workflows.partnership import services
from workflows.partnership.models import MinutesConfirmation

from .conftest import draft, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_ministry(partnership_world):
    """A documented outcome the CSO confirmed and the ministry left unanswered."""
    w = partnership_world
    request = walk(w, draft(w), "outcome_documented")
    services.minutes_confirm(request=request, actor=w.cso_coordinator)
    return w, request


def scan_as_of(monkeypatch, moment: dt.datetime) -> str:
    from engine.management.commands import sla_scan as command

    # the command is run later than ``moment`` (a scan as of the past, as after an outage)
    monkeypatch.setattr(command, "wall_clock", lambda: moment + dt.timedelta(days=30))
    out = StringIO()
    call_command("sla_scan", "--at", moment.isoformat(), stdout=out)
    return out.getvalue()


def test_silent_consent_is_written_as_of_the_scan_and_is_never_a_breach(silent_ministry, monkeypatch):
    w, request = silent_ministry
    clock = SlaClock.objects.get(case_id=request.pk, case_type=request.case_type(), state="outcome_documented")
    # when the scan runs as of a moment well past the allowance (and past its warning time)
    as_of = (clock.due_at + dt.timedelta(days=3)).replace(microsecond=0)
    scan_as_of(monkeypatch, as_of)
    request.refresh_from_db()
    clock.refresh_from_db()
    event = AuditEvent.objects.get(
        case_id=request.pk, case_type=request.case_type(), action="confirm_minutes_by_silence"
    )
    # then every time it wrote is the as-of time
    assert request.minutes_confirmed_at == as_of
    assert request.published_at == as_of
    assert event.occurred_at == as_of
    assert clock.stopped_at == as_of
    silent = MinutesConfirmation.objects.get(outcome__request=request, silent=True)
    assert (silent.organization_id, silent.confirmed_at) == (w.ministry.pk, as_of)
    # and the clock ended on time: stopped, never breached, no "deadline missed" for anyone
    assert (clock.status, clock.breached_at) == ("stopped", None)
    assert not OutboxMessage.objects.filter(case_id=request.pk, event="sla_breach").exists()
    # the parties hear the minutes were confirmed by silence (by email too), the secretariat in the app
    heard = set(
        OutboxMessage.objects.filter(
            case_id=request.pk, event="confirm_minutes_by_silence", recipient__isnull=False
        ).values_list("recipient__username", "channel", "payload__kind")
    )
    kinds = {kind for _, _, kind in heard}
    assert kinds == {"minutes_confirmed_by_silence"}
    assert {("cso-coordinator", "email"), ("ministry-coordinator", "email")} <= {(u, c) for u, c, _ in heard}
    assert ("secretariat", "in_app") in {(u, c) for u, c, _ in heard}
    with translation.override("en"):
        body = str(messages.MESSAGES["minutes_confirmed_by_silence"].body)
    assert "confirmed by silence" in body
    # a second scan changes nothing
    scan_as_of(monkeypatch, as_of + dt.timedelta(days=1))
    assert AuditEvent.objects.filter(case_id=request.pk, action="confirm_minutes_by_silence").count() == 1
    assert not OutboxMessage.objects.filter(case_id=request.pk, event="sla_breach").exists()


def test_the_dashboard_counts_a_silent_consent_as_on_time(silent_ministry, monkeypatch):
    _, request = silent_ministry
    clock = SlaClock.objects.get(case_id=request.pk, case_type=request.case_type(), state="outcome_documented")
    scan_as_of(monkeypatch, clock.due_at + dt.timedelta(days=3))
    with translation.override("en"):
        table = reports.sla_compliance()
        parties = next(row for row in table.rows if row[0] == str(reports.owner_label("parties")))
    finished, on_time, finished_late = parties[1], parties[2], parties[3]
    assert finished >= 1 and finished_late == 0 and on_time == 100.0


def test_the_confirmation_clock_still_warns_before_its_end(silent_ministry, monkeypatch):
    _, request = silent_ministry
    clock = SlaClock.objects.get(case_id=request.pk, case_type=request.case_type(), state="outcome_documented")
    scan_as_of(monkeypatch, clock.warn_at + dt.timedelta(minutes=1))
    clock.refresh_from_db()
    assert clock.status == "warning"
    request.refresh_from_db()
    assert request.minutes_confirmed_at is None
    assert timezone.is_aware(clock.warned_at)
