"""The engine's back office: records are read-only, calendar and SLA configuration take effect."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

import engine
from engine import calendar
from engine.admin import HolidayOverrideForm, SlaPolicyForm
from engine.models import (
    AuditCheckpoint,
    AuditEvent,
    ClosureDay,
    HolidayOverride,
    OutboxMessage,
    SlaClock,
    SlaPolicy,
)
from workflows.sample.models import Ticket

pytestmark = pytest.mark.django_db

BEIRUT = ZoneInfo("Asia/Beirut")
dispatched: list[list[int]] = []


def record_dispatch(ids: list[int]) -> None:
    """Stands in for the notify app's Celery dispatcher."""
    dispatched.append(list(ids))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def client_boss(client, boss):
    client.force_login(boss)
    return client


@pytest.fixture
def world(boss):
    SlaPolicy.objects.create(flow="sample.ticket", state="open", allowance_days=5, owner="staff")
    ticket = engine.create_case(Ticket, actor=boss, title="Printer", owner=boss)
    engine.run(ticket, "open", actor=boss, occurred_at=datetime(2026, 11, 20, 11, tzinfo=BEIRUT))
    ClosureDay.objects.create(date=date(2026, 11, 23), reason="Strike")
    HolidayOverride.objects.create(estimated_date=date(2026, 3, 20), actual_date=date(2026, 3, 19), reason="Announced")
    AuditCheckpoint.objects.create(
        heads_count=1, events_count=2, digest="ab" * 32, public_key="pk", signature="sig", document={"heads": {}}
    )
    OutboxMessage.objects.create(
        event="open", case_reference=ticket.reference, dedupe_key="k-failed", status="failed", last_error="SMTP 554"
    )
    OutboxMessage.objects.create(event="open", case_reference=ticket.reference, dedupe_key="k-sent", status="sent")
    return ticket


MODELS = [ClosureDay, HolidayOverride, SlaPolicy, SlaClock, AuditEvent, AuditCheckpoint, OutboxMessage]


def _url(model, view, *args):
    return reverse(f"admin:engine_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_engine_page_renders(client_boss, world, model):
    # the list
    response = client_boss.get(_url(model, "changelist"))
    assert response.status_code == 200
    # and one record's page
    obj = model.objects.order_by("pk").first()
    assert client_boss.get(_url(model, "change", obj.pk)).status_code == 200


def test_audit_events_cannot_be_added_changed_or_deleted(client_boss, world):
    event = AuditEvent.objects.filter(case_id=world.pk).order_by("seq").first()
    before = (event.action, event.hash)
    # add
    assert client_boss.get(_url(AuditEvent, "add")).status_code == 403
    # change: the page is a read-only view without a save button, and a forged POST is refused
    page = client_boss.get(_url(AuditEvent, "change", event.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    forged = client_boss.post(_url(AuditEvent, "change", event.pk), {"action": "tampered"})
    assert forged.status_code == 403
    # delete, one and in bulk
    assert client_boss.get(_url(AuditEvent, "delete", event.pk)).status_code == 403
    assert client_boss.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    listing = client_boss.get(_url(AuditEvent, "changelist"))
    assert b"delete_selected" not in listing.content
    # and nothing moved
    event.refresh_from_db()
    assert (event.action, event.hash) == before
    assert AuditEvent.objects.filter(case_id=world.pk).count() == 2


@pytest.mark.parametrize("model", [AuditCheckpoint, SlaClock, OutboxMessage], ids=lambda m: m.__name__)
def test_other_records_are_read_only_too(client_boss, world, model):
    obj = model.objects.order_by("pk").first()
    assert client_boss.get(_url(model, "add")).status_code == 403
    assert client_boss.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert client_boss.get(_url(model, "delete", obj.pk)).status_code == 403


def test_audit_list_by_case_reference_reads_oldest_first(client_boss, world):
    response = client_boss.get(_url(AuditEvent, "changelist"), {"case_reference": world.reference})
    rows = list(response.context["cl"].result_list)
    assert [e.seq for e in rows] == [1, 2]
    # and the reference is searchable
    found = client_boss.get(_url(AuditEvent, "changelist"), {"q": world.reference})
    assert len(found.context["cl"].result_list) == 2


def test_staff_without_permission_cannot_read_the_audit_log(client, django_user_model, world):
    clerk = django_user_model.objects.create(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(_url(AuditEvent, "changelist")).status_code == 403


def test_outbox_list_filters_by_status_and_shows_the_error(client_boss, world):
    response = client_boss.get(_url(OutboxMessage, "changelist"), {"status__exact": "failed"})
    assert [m.dedupe_key for m in response.context["cl"].result_list] == ["k-failed"]
    assert b"SMTP 554" in response.content


def test_requeue_puts_failed_messages_back_and_leaves_sent_ones(client_boss, world, settings):
    settings.ENGINE = {**settings.ENGINE, "OUTBOX_DISPATCHER": "tests.engine.test_admin.record_dispatch"}
    dispatched.clear()
    failed = OutboxMessage.objects.get(dedupe_key="k-failed")
    sent = OutboxMessage.objects.get(dedupe_key="k-sent")
    response = client_boss.post(
        _url(OutboxMessage, "changelist"),
        {"action": "requeue", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, sent.status) == ("pending", "sent")
    texts = [str(m) for m in response.context["messages"]]
    assert "1 message re-queued." in texts and "1 message was already sent and was left alone." in texts


def test_requeue_dispatches_after_commit(world, boss, settings, rf, django_capture_on_commit_callbacks):
    from django.contrib import admin as django_admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    settings.ENGINE = {**settings.ENGINE, "OUTBOX_DISPATCHER": "tests.engine.test_admin.record_dispatch"}
    dispatched.clear()
    model_admin = django_admin.site._registry[OutboxMessage]
    request = rf.post("/")
    request.user = boss
    request.session = {}
    request._messages = FallbackStorage(request)
    failed = OutboxMessage.objects.get(dedupe_key="k-failed")
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.requeue(request, OutboxMessage.objects.filter(pk=failed.pk))
    assert dispatched == [[failed.pk]]


def test_holiday_override_list_names_the_holiday_being_moved(client_boss, world):
    response = client_boss.get(_url(HolidayOverride, "changelist"))
    assert b"Eid al-Fitr (estimated)" in response.content


def test_holiday_override_must_start_from_a_real_holiday():
    # 24 Nov 2026 is an ordinary Tuesday
    form = HolidayOverrideForm(data={"estimated_date": "2026-11-24", "actual_date": "2026-11-25", "reason": "x"})
    assert not form.is_valid()
    assert "closure day" in form.errors["estimated_date"][0]
    # Eid al-Adha is estimated for Wednesday 27 May 2026
    form = HolidayOverrideForm(data={"estimated_date": "2026-05-27", "actual_date": "", "reason": "cancelled"})
    assert form.is_valid(), form.errors


def test_override_saved_in_the_admin_changes_deadlines(client_boss):
    start = datetime(2026, 5, 26, 9, tzinfo=BEIRUT)
    # Tue 26 May + 2, with Eid al-Adha estimated Wed 27 and Thu 28: Fri 29, Mon 1 Jun
    assert calendar.add_business_days(start, 2) == datetime(2026, 6, 1, 16, tzinfo=BEIRUT)
    response = client_boss.post(
        _url(HolidayOverride, "add"), {"estimated_date": "2026-05-28", "actual_date": "", "reason": "One day only"}
    )
    assert response.status_code == 302
    # Thu 28 is now a working day: Thu 28, Fri 29
    assert calendar.add_business_days(start, 2) == datetime(2026, 5, 29, 16, tzinfo=BEIRUT)


def test_closure_day_added_in_the_admin_changes_deadlines(client_boss):
    start = datetime(2026, 11, 20, 11, tzinfo=BEIRUT)
    assert calendar.add_business_days(start, 1) == datetime(2026, 11, 23, 16, tzinfo=BEIRUT)
    response = client_boss.post(_url(ClosureDay, "add"), {"date": "2026-11-23", "reason": "Storm"})
    assert response.status_code == 302
    assert calendar.add_business_days(start, 1) == datetime(2026, 11, 24, 16, tzinfo=BEIRUT)


def _policy_data(**overrides):
    data = {
        "flow": "sample.ticket",
        "state": "waiting",
        "allowance_days": "10",
        "owner": "requester",
        "warning_ratio": "0.75",
        "on_breach": "transition",
        "breach_transition": "expire",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_sla_policy_form_accepts_a_consistent_policy():
    assert SlaPolicyForm(data=_policy_data()).is_valid()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"flow": "sample.nothing"}, "flow"),
        ({"state": "limbo"}, "state"),
        ({"state": "resolved", "on_breach": "escalate", "breach_transition": ""}, "state"),
        ({"breach_transition": ""}, "breach_transition"),
        ({"breach_transition": "resolve"}, "breach_transition"),  # not a system transition
        ({"state": "open", "breach_transition": "expire"}, "breach_transition"),  # does not leave "open"
        ({"on_breach": "escalate"}, "breach_transition"),  # a transition with nothing to run it
        ({"warning_ratio": "1.50"}, "warning_ratio"),
    ],
)
def test_sla_policy_form_explains_what_is_wrong(overrides, field):
    form = SlaPolicyForm(data=_policy_data(**overrides))
    assert not form.is_valid()
    assert field in form.errors


def test_new_policy_starts_from_the_configured_warning_ratio(settings):
    settings.ENGINE = {**settings.ENGINE, "SLA_WARNING_RATIO": 0.8}
    assert str(SlaPolicyForm().initial["warning_ratio"]) == "0.8"


def test_a_policy_with_clocks_cannot_be_deleted(client_boss, world):
    policy = SlaPolicy.objects.get(flow="sample.ticket")
    assert client_boss.get(_url(SlaPolicy, "delete", policy.pk)).status_code == 403


def test_closure_day_saved_in_the_admin_moves_running_deadlines(
    client_boss, world, django_capture_on_commit_callbacks, monkeypatch
):
    from config.celery import app

    # the recompute is a Celery task: run it here even when a broker is configured
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    clock = SlaClock.objects.get(case_id=world.pk)
    # the world's ticket was opened Fri 20 Nov 11:00, before Mon 23 was closed: due Fri 27 Nov 16:00
    assert clock.due_at == datetime(2026, 11, 27, 16, tzinfo=BEIRUT)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_boss.post(_url(ClosureDay, "add"), {"date": "2026-11-26", "reason": "Storm"})
    assert response.status_code == 302
    clock.refresh_from_db()
    # saving a day recomputes from that day on, with every closure: Mon 23 and Thu 26 closed,
    # so 45 h = Fri 5 h + Tue, Wed, Fri 27, Mon 30, Tue 1 Dec → Tue 1 Dec 16:00
    assert clock.due_at == datetime(2026, 12, 1, 16, tzinfo=BEIRUT)
    # and removing Thursday's closure moves the deadline back a day (Monday's stays)
    closure = ClosureDay.objects.get(date=date(2026, 11, 26))
    with django_capture_on_commit_callbacks(execute=True):
        client_boss.post(_url(ClosureDay, "delete", closure.pk), {"post": "yes"})
    clock.refresh_from_db()
    assert clock.due_at == datetime(2026, 11, 30, 16, tzinfo=BEIRUT)


def test_calendar_edit_with_no_broker_still_moves_deadlines_in_process(
    client_boss, world, django_capture_on_commit_callbacks, monkeypatch
):
    from engine import admin as engine_admin

    def no_broker(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(engine_admin.sla_recompute_task, "delay", no_broker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_boss.post(_url(ClosureDay, "add"), {"date": "2026-11-26", "reason": "Storm"})
    assert response.status_code == 302
    assert SlaClock.objects.get(case_id=world.pk).due_at == datetime(2026, 12, 1, 16, tzinfo=BEIRUT)
