"""SLA clocks on the sample ticket flow, on real 2026 dates in Beirut.

Policies (made here as data): ``open`` belongs to staff for 5 business days and escalates on breach;
``waiting`` belongs to the requester for 10 business days, after which the system runs ``expire``.
``ask`` pauses the staff clock (the turn passes to the requester); ``answer`` brings it back.
Expected times are worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

import engine
from engine import sla
from engine.models import AuditEvent, OutboxMessage, SlaClock, SlaPolicy
from workflows.sample.flows import TicketFlow
from workflows.sample.models import Ticket

pytestmark = pytest.mark.django_db

BEIRUT = ZoneInfo("Asia/Beirut")
HOUR = 3600


def beirut(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIRUT)


@pytest.fixture
def staff(django_user_model):
    # No password: hashing one costs a third of a second per user.
    return django_user_model.objects.create(username="staff", is_staff=True)


@pytest.fixture
def requester(django_user_model):
    return django_user_model.objects.create(username="requester")


@pytest.fixture
def policies():
    return {
        "open": SlaPolicy.objects.create(
            flow="sample.ticket", state="open", allowance_days=5, owner="staff", on_breach="escalate"
        ),
        "waiting": SlaPolicy.objects.create(
            flow="sample.ticket",
            state="waiting",
            allowance_days=10,
            owner="requester",
            on_breach="transition",
            breach_transition="expire",
        ),
    }


@pytest.fixture
def ticket(staff, requester):
    return engine.create_case(Ticket, actor=staff, title="Printer on fire", owner=requester)


@pytest.fixture(autouse=True)
def later_wall_clock(monkeypatch):
    """These tests scan 2026 dates; the command judges ``--at`` against a wall clock set after them."""
    from engine.management.commands import sla_scan as command

    monkeypatch.setattr(command, "wall_clock", lambda: beirut(2027, 6, 1, 9))


def opened(ticket, staff, at=None):
    # Opened on Friday 20 Nov 2026 at 11:00, Beirut.
    engine.run(ticket, "open", actor=staff, occurred_at=at or beirut(2026, 11, 20, 11))
    return SlaClock.objects.get(case_id=ticket.pk, state="open")


# --- clocks follow transitions ---------------------------------------------------------------


def test_entering_a_state_with_a_policy_starts_its_clock(policies, ticket, staff):
    # when the ticket is opened on Friday 20 Nov 2026 at 11:00
    clock = opened(ticket, staff)
    # then staff owe 5 business days: Mon 23 … Fri 27 Nov, due at 16:00
    assert (clock.owner, clock.status, clock.paused) == ("staff", "on_track", False)
    assert clock.due_at == beirut(2026, 11, 27, 16)
    # the allowance is Friday 11–16 (5 h) + four full days (32 h) + Friday 27 (8 h) = 45 h
    assert clock.allowance_seconds == 45 * HOUR
    # warning at 75 %: 33.75 h → Fri 5 h, Mon, Tue, Wed (29 h), Thursday 26 Nov 08:00 + 4.75 h = 12:45
    assert clock.warn_at == beirut(2026, 11, 26, 12, 45)


def test_no_policy_no_clock(ticket, staff):
    engine.run(ticket, "open", actor=staff)
    assert not SlaClock.objects.filter(case_id=ticket.pk).exists()


def test_pause_and_resume_keep_the_time_already_used(policies, ticket, staff, requester):
    # given opened Friday 20 Nov 11:00
    opened(ticket, staff)
    # when staff ask a question on Tuesday 24 Nov at 10:00: staff used Fri 5 h + Mon 8 h + Tue 2 h = 15 h
    engine.run(ticket, "ask", actor=staff, data={"note": "Which floor?"}, occurred_at=beirut(2026, 11, 24, 10))
    staff_clock = SlaClock.objects.get(case_id=ticket.pk, state="open")
    waiting_clock = SlaClock.objects.get(case_id=ticket.pk, state="waiting")
    # then the staff clock is paused, and the requester owes 10 days: Wed 25 … Tue 8 Dec
    assert staff_clock.paused and staff_clock.paused_at == beirut(2026, 11, 24, 10)
    assert waiting_clock.owner == "requester" and not waiting_clock.paused
    assert waiting_clock.due_at == beirut(2026, 12, 8, 16)
    # and while paused, the staff clock shows what will remain: 45 − 15 = 30 h = 3.75 days
    view = sla.clock_view(staff_clock, beirut(2026, 11, 30, 12))
    assert (view["paused"], view["status"], view["business_days_left"]) == (True, "on_track", 3.75)

    # when the requester answers on Tuesday 1 Dec at 09:00
    engine.run(ticket, "answer", actor=requester, data={"note": "Third"}, occurred_at=beirut(2026, 12, 1, 9))
    staff_clock.refresh_from_db()
    waiting_clock.refresh_from_db()
    # then the requester's clock stops and the staff clock runs again with 30 h left:
    # Tue 1 Dec 9–16 (7 h), Wed 2 (8 h), Thu 3 (8 h), Fri 4 08:00 + 7 h = 15:00
    assert waiting_clock.status == "stopped" and waiting_clock.stopped_at == beirut(2026, 12, 1, 9)
    assert not staff_clock.paused and staff_clock.consumed_seconds == 15 * HOUR
    assert staff_clock.due_at == beirut(2026, 12, 4, 15)
    # the warning comes after 33.75 − 15 = 18.75 more hours: Tue 7 h, Wed 8 h, Thu 08:00 + 3.75 h = 11:45
    assert staff_clock.warn_at == beirut(2026, 12, 3, 11, 45)
    # and one clock per state, not a new one
    assert SlaClock.objects.filter(case_id=ticket.pk).count() == 2
    # on Wednesday 2 Dec at 09:00, 7 + 8 + 7 = 22 working hours remain
    view = sla.clock_view(staff_clock, beirut(2026, 12, 2, 9))
    assert view == {
        "id": staff_clock.pk,
        "state": "open",
        "owner": "staff",
        "started_at": beirut(2026, 11, 20, 11),
        "due_at": beirut(2026, 12, 4, 15),
        "paused": False,
        "status": "on_track",
        "business_days_left": 2.75,
    }


def test_time_by_party_shows_where_the_time_went(policies, ticket, staff, requester):
    opened(ticket, staff)
    engine.run(ticket, "ask", actor=staff, data={"note": "?"}, occurred_at=beirut(2026, 11, 24, 10))
    engine.run(ticket, "answer", actor=requester, data={"note": "!"}, occurred_at=beirut(2026, 12, 1, 9))
    other = engine.create_case(Ticket, actor=staff, title="Other", owner=requester)
    opened(other, staff, at=beirut(2026, 11, 30, 8))
    # when asked on Wednesday 2 Dec at 09:00
    at = beirut(2026, 12, 2, 9)
    per_case = sla.time_by_case_and_party("sample.ticket", [ticket.pk], now=at)
    # then staff held the first ticket 15 h before the question + Tue 7 h + Wed 1 h = 23 h;
    # the requester Tue 24 Nov 10–16 (6 h) + Wed, Thu, Fri, Mon (32 h) + Tue 1 Dec 8–9 (1 h) = 39 h
    assert per_case == {ticket.pk: {"staff": 23 * HOUR, "requester": 39 * HOUR}}
    # and over both tickets staff add Mon 30 Nov, Tue 1 Dec (16 h) + Wed 1 h for the second one
    assert sla.time_by_party("sample.ticket", now=at) == {"staff": 40 * HOUR, "requester": 39 * HOUR}


def test_final_state_stops_every_clock_and_paused_time_does_not_count(policies, ticket, staff):
    opened(ticket, staff)
    engine.run(ticket, "ask", actor=staff, data={"note": "?"}, occurred_at=beirut(2026, 11, 24, 10))
    # when staff resolve the ticket on Thursday 26 Nov at 12:00 while it waits on the requester
    engine.run(ticket, "resolve", actor=staff, occurred_at=beirut(2026, 11, 26, 12))
    # then both clocks are stopped
    clocks = {c.state: c for c in sla.clocks_for(ticket)}
    assert {c.status for c in clocks.values()} == {"stopped"}
    assert all(c.stopped_at == beirut(2026, 11, 26, 12) for c in clocks.values())
    # and the staff clock counts only until the question (15 h), not the waiting days after it
    assert sla.consumed_seconds(clocks["open"], beirut(2026, 12, 10, 12)) == 15 * HOUR
    assert sla.clock_view(clocks["open"], beirut(2026, 12, 10, 12))["status"] == "stopped"
    assert sla.clock_view(clocks["open"], beirut(2026, 12, 10, 12))["business_days_left"] is None


def test_reopening_starts_a_fresh_clock(policies, ticket, staff):
    opened(ticket, staff)
    engine.run(ticket, "resolve", actor=staff, occurred_at=beirut(2026, 11, 23, 9))
    engine.run(ticket, "reopen", actor=staff, data={"note": "again"}, occurred_at=beirut(2026, 11, 25, 9))
    clocks = sla.clocks_for(ticket)
    assert [(c.state, c.status) for c in clocks] == [("open", "stopped"), ("open", "on_track")]
    # Wed 25 Nov 09:00 + 5 days: Thu 26, Fri 27, Mon 30, Tue 1, Wed 2 Dec
    assert clocks[1].due_at == beirut(2026, 12, 2, 16)


def test_self_loop_leaves_clocks_alone(policies, ticket, staff, django_assert_num_queries):
    clock = opened(ticket, staff)
    spec = TicketFlow.spec("open")
    with django_assert_num_queries(0):
        sla.on_transition(ticket, TicketFlow, spec, "open", "open", beirut(2026, 11, 23, 9))
    clock.refresh_from_db()
    assert (clock.status, clock.paused_at, clock.stopped_at) == ("on_track", None, None)


def _clock_statements(run):
    with CaptureQueriesContext(connection) as captured:
        run()
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [s for s in sql if s.startswith('SELECT "engine_slapolicy"')], "policies must come from the cache"
    return len([s for s in sql if "engine_slaclock" in s])


def test_clock_work_costs_at_most_two_statements_per_transition(policies, ticket, staff, requester):
    sla.policy_for("sample.ticket", "open")  # steady state: the policy cache is warm
    at = beirut(2026, 11, 20, 11)
    # new → open (no clock running, one starts): UPDATE + INSERT
    assert _clock_statements(lambda: engine.run(ticket, "open", actor=staff, occurred_at=at)) == 2
    # open → waiting (pause one, start one): UPDATE + INSERT
    assert _clock_statements(lambda: engine.run(ticket, "ask", actor=staff, data={"note": "?"}, occurred_at=at)) == 2
    # waiting → open (stop one, resume one): SELECT + one UPDATE for both rows
    answer = lambda: engine.run(ticket, "answer", actor=requester, data={"note": "!"}, occurred_at=at)  # noqa: E731
    assert _clock_statements(answer) == 2
    # open → resolved (final: stop all): one UPDATE
    assert _clock_statements(lambda: engine.run(ticket, "resolve", actor=staff, occurred_at=at)) == 1


def test_a_policy_edited_in_the_admin_applies_to_the_next_clock(policies, ticket, staff):
    sla.policy_for("sample.ticket", "open")
    policies["open"].allowance_days = 2
    policies["open"].save()  # the signal drops the cache
    clock = opened(ticket, staff)
    # Fri 20 Nov + 2: Mon 23, Tue 24
    assert clock.due_at == beirut(2026, 11, 24, 16)


def test_case_created_in_a_state_with_a_policy_starts_a_clock(staff):
    SlaPolicy.objects.create(flow="sample.ticket", state="new", allowance_days=1, owner="staff", on_breach="mark")
    ticket = engine.create_case(Ticket, actor=staff, title="x")
    assert [c.state for c in sla.clocks_for(ticket)] == ["new"]


# --- the scan --------------------------------------------------------------------------------


def _outbox(event):
    return list(OutboxMessage.objects.filter(event=event).order_by("id").values_list("dedupe_key", flat=True))


def test_scan_warns_at_the_warning_time_and_breaches_at_the_due_time_once(policies, ticket, staff):
    clock = opened(ticket, staff)
    # just before Thursday 26 Nov 12:45 nothing happens
    result = sla.scan(beirut(2026, 11, 26, 12, 44))
    assert (result.warned, result.breached) == (0, 0)
    # at 12:45 the clock warns, once
    result = sla.scan(beirut(2026, 11, 26, 12, 45))
    assert (result.warned, result.breached) == (1, 0)
    clock.refresh_from_db()
    assert (clock.status, clock.warned_at) == ("warning", beirut(2026, 11, 26, 12, 45))
    assert _outbox("sla_warning") == [f"sla:{clock.pk}:warning"]
    payload = OutboxMessage.objects.get(event="sla_warning").payload
    assert (payload["owner"], payload["state"], payload["clock"]) == ("staff", "open", clock.pk)
    # at the due time (Friday 27 Nov 16:00) it breaches and escalates
    result = sla.scan(beirut(2026, 11, 27, 16))
    assert (result.warned, result.breached, result.escalated, result.transitioned) == (0, 1, 1, 0)
    clock.refresh_from_db()
    assert (clock.status, clock.breached_at) == ("breached", beirut(2026, 11, 27, 16))
    assert _outbox("sla_breach") == [f"sla:{clock.pk}:breach"]
    assert OutboxMessage.objects.get(event="sla_breach").payload["escalate"] is True
    assert sla.clock_view(clock, beirut(2026, 11, 30, 8))["status"] == "breached"
    # and running it again changes nothing
    outbox_before = OutboxMessage.objects.count()
    again = sla.scan(beirut(2026, 11, 27, 16))
    assert (again.warned, again.breached, again.escalated) == (0, 0, 0)
    assert OutboxMessage.objects.count() == outbox_before
    # a breached clock is still running: the ticket still waits on staff
    assert not clock.paused and clock.stopped_at is None


def test_a_late_scan_breaches_without_a_warning(policies, ticket, staff):
    clock = opened(ticket, staff)
    result = sla.scan(beirut(2026, 12, 15, 9))
    assert (result.warned, result.breached) == (0, 1)
    assert _outbox("sla_warning") == [] and _outbox("sla_breach") == [f"sla:{clock.pk}:breach"]


def test_scan_as_of_a_time_before_the_clock_started_ignores_it(policies, ticket, staff):
    opened(ticket, staff, at=beirut(2027, 1, 4, 9))
    assert sla.scan(beirut(2026, 12, 31, 12)).as_dict()["breached"] == 0


def test_paused_clocks_neither_warn_nor_breach(policies, ticket, staff):
    opened(ticket, staff)
    engine.run(ticket, "ask", actor=staff, data={"note": "?"}, occurred_at=beirut(2026, 11, 24, 10))
    # when scanned after the staff clock's original due time but before the requester's
    result = sla.scan(beirut(2026, 12, 1, 12))
    # then only the requester's clock (due Tue 8 Dec, warned after 75 %) is touched, not the paused one
    staff_clock = SlaClock.objects.get(case_id=ticket.pk, state="open")
    assert staff_clock.status == "on_track" and result.breached == 0


def test_marking_policy_breaches_silently(ticket, staff):
    SlaPolicy.objects.create(flow="sample.ticket", state="open", allowance_days=1, owner="staff", on_breach="mark")
    clock = opened(ticket, staff)
    result = sla.scan(beirut(2026, 11, 24, 9))
    clock.refresh_from_db()
    assert (result.breached, result.escalated, clock.status) == (1, 0, "breached")
    assert _outbox("sla_breach") == []


def test_breach_runs_the_policy_transition_as_the_system(policies, ticket, staff):
    opened(ticket, staff)
    engine.run(ticket, "ask", actor=staff, data={"note": "?"}, occurred_at=beirut(2026, 11, 24, 10))
    waiting = SlaClock.objects.get(case_id=ticket.pk, state="waiting")
    # when the requester's 10 days run out (Tuesday 8 Dec 16:00)
    result = sla.scan(beirut(2026, 12, 8, 16))
    # then the system expires the ticket, audited with the clock that caused it
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    assert (result.breached, result.transitioned, result.errors) == (1, 1, [])
    event = AuditEvent.objects.filter(case_id=ticket.pk).order_by("-seq").first()
    assert (event.action, event.actor_id, event.actor_role) == ("expire", None, "system")
    assert event.data["sla_clock"] == waiting.pk
    assert event.occurred_at == beirut(2026, 12, 8, 16)
    # every clock stopped; the breach was announced (not escalated: the transition is the remedy)
    assert {c.status for c in sla.clocks_for(ticket)} == {"stopped"}
    breach = OutboxMessage.objects.get(event="sla_breach")
    assert (breach.payload["transition"], breach.payload["escalate"]) == ("expire", False)
    assert OutboxMessage.objects.filter(case_id=ticket.pk, event="expire").count() == 1
    # and a second run does nothing more
    again = sla.scan(beirut(2026, 12, 8, 16))
    assert (again.breached, again.transitioned) == (0, 0)
    assert AuditEvent.objects.filter(case_id=ticket.pk, action="expire").count() == 1


def test_a_breach_transition_that_is_refused_is_reported_not_raised(ticket, staff):
    # "resolve" is not a system transition: the engine refuses to run it with no user
    SlaPolicy.objects.create(
        flow="sample.ticket",
        state="open",
        allowance_days=1,
        owner="staff",
        on_breach="transition",
        breach_transition="resolve",
    )
    clock = opened(ticket, staff)
    result = sla.scan(beirut(2026, 11, 24, 9))
    clock.refresh_from_db()
    assert (result.breached, result.transitioned, clock.status) == (1, 0, "breached")
    assert len(result.errors) == 1 and ticket.reference in result.errors[0]
    assert Ticket.objects.get(pk=ticket.pk).state == "open"


def _bulk_clocks(policy, count, started_at, first_id=0):
    SlaClock.objects.bulk_create(
        SlaClock(
            case_type="sample.ticket",
            case_id=10_000 + first_id + n,
            case_reference=f"TCK-2026-{first_id + n:04d}",
            policy=policy,
            state=policy.state,
            owner=policy.owner,
            started_at=started_at,
            running_since=started_at,
            allowance_seconds=45 * HOUR,
            warn_at=beirut(2026, 11, 26, 12, 45) if n % 2 else beirut(2026, 11, 20, 12),
            due_at=beirut(2026, 11, 27, 16) if n % 2 else beirut(2026, 11, 30, 16),
        )
        for n in range(count)
    )


def _outbox_batches(rows):
    # SQLite limits a statement to 999 parameters, so Django splits a bulk insert; PostgreSQL does not.
    fields = [f for f in OutboxMessage._meta.concrete_fields if not f.primary_key]
    batch = connection.ops.bulk_batch_size(fields, [None] * rows) or rows
    return -(-rows // batch)


def _scan_statements(at):
    with CaptureQueriesContext(connection) as captured:
        result = sla.scan(at)
    sql = [q["sql"] for q in captured.captured_queries]
    # On PostgreSQL with the default router, the marking UPDATE and the insert are one statement.
    outbox_inserts = [s for s in sql if 'INSERT INTO "engine_outboxmessage"' in s]
    return result, len(sql) - len(outbox_inserts), len(outbox_inserts)


def test_scan_costs_the_same_number_of_queries_for_5_or_200_clocks(settings, policies):
    # given the engine's own outbox rows (no notification router expanding recipients)
    settings.ENGINE = {**settings.ENGINE, "OUTBOX_ROUTER": "", "OUTBOX_DISPATCHER": ""}
    counts = {}
    for count, offset in [(5, 0), (200, 1000)]:
        _bulk_clocks(policies["open"], count, beirut(2026, 11, 20, 11), first_id=offset)
        # when scanned on Friday 27 Nov 16:00: odd clocks breach, even ones only warn
        result, statements, inserts = _scan_statements(beirut(2026, 11, 27, 16))
        counts[count] = statements
        # then every clock got its warning or breach, announced in one bulk insert
        assert (result.warned, result.breached) == ((count + 1) // 2, count // 2)
        assert inserts == _outbox_batches(count)
        assert OutboxMessage.objects.filter(event__startswith="sla_", case_id__gte=10_000 + offset).count() == count
        # settle the first batch (its warned clocks breach) so the second scan sees only new clocks
        sla.scan(beirut(2026, 11, 30, 16))
    # the SELECT of clocks whose deadline settles by a transition (silence is consent), savepoint,
    # the marking UPDATE, policies SELECT, release: the same for 5 or 200
    assert counts[5] == counts[200] <= 5


@pytest.mark.parametrize("count", [5, 200])
def test_scan_query_count_is_constant(settings, policies, count, django_assert_max_num_queries):
    settings.ENGINE = {**settings.ENGINE, "OUTBOX_ROUTER": "", "OUTBOX_DISPATCHER": ""}
    _bulk_clocks(policies["open"], count, beirut(2026, 11, 20, 11))
    with django_assert_max_num_queries(5 + _outbox_batches(count)):
        sla.scan(beirut(2026, 11, 27, 16))


# --- entry points ------------------------------------------------------------------------------


def test_celery_task_runs_the_scan(policies, ticket, staff):
    from engine.tasks import sla_scan_task

    clock = opened(ticket, staff)
    # apply() runs in this process whatever the broker settings
    summary = sla_scan_task.apply(kwargs={"at": "2026-11-27T16:00:00+02:00"}).get()
    assert (summary["warned"], summary["breached"]) == (0, 1)
    assert SlaClock.objects.get(pk=clock.pk).status == "breached"


def test_celery_task_with_a_bad_time_fails_cleanly():
    from engine.tasks import sla_scan_task

    with pytest.raises(ValueError):
        sla_scan_task.apply(kwargs={"at": "not a date"}).get()


def test_sla_scan_command_prints_a_summary(policies, ticket, staff, capsys):
    opened(ticket, staff)
    call_command("sla_scan", "--at", "2026-11-26T12:45:00+02:00")
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0
    assert "1" in out and "2026-11-26" in out
    assert SlaClock.objects.get(case_id=ticket.pk).status == "warning"


def test_sla_scan_command_reads_a_time_without_offset_as_beirut_time(policies, ticket, staff):
    opened(ticket, staff)
    call_command("sla_scan", "--at", "2026-11-26T12:45")
    assert SlaClock.objects.get(case_id=ticket.pk).warned_at == beirut(2026, 11, 26, 12, 45)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T10:00", "2026-11-31", ""])
def test_sla_scan_command_rejects_a_bad_time_with_exit_code_2(policies, ticket, staff, bad):
    opened(ticket, staff)
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("sla_scan", "--at", bad)
    assert caught.value.returncode == 2
    assert "ISO 8601" in str(caught.value)
    assert SlaClock.objects.get(case_id=ticket.pk).status == "on_track"


def test_sla_scan_command_line_exit_status_and_message(capsys):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as caught:
        execute_from_command_line(["manage.py", "sla_scan", "--at", "31/12/2026"])
    assert caught.value.code == 2
    assert "31/12/2026" in capsys.readouterr().err


def test_sla_scan_command_refuses_a_future_time_with_exit_code_2_and_writes_nothing(
    policies, ticket, staff, monkeypatch
):
    from engine.management.commands import sla_scan as command

    opened(ticket, staff)
    monkeypatch.setattr(command, "wall_clock", lambda: beirut(2026, 11, 23, 9))
    events, messages = AuditEvent.objects.count(), OutboxMessage.objects.count()
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("sla_scan", "--at", "2026-12-31T10:00")
    assert caught.value.returncode == 2
    assert "later than now" in str(caught.value) and "--allow-future" in str(caught.value)
    clock = SlaClock.objects.get(case_id=ticket.pk)
    assert (clock.status, clock.breached_at) == ("on_track", None)
    assert (AuditEvent.objects.count(), OutboxMessage.objects.count()) == (events, messages)


def test_sla_scan_command_line_refuses_a_future_time_with_exit_status_2(policies, ticket, staff, monkeypatch, capsys):
    from django.core.management import execute_from_command_line

    from engine.management.commands import sla_scan as command

    opened(ticket, staff)
    monkeypatch.setattr(command, "wall_clock", lambda: beirut(2026, 11, 23, 9))
    with translation.override("en"), pytest.raises(SystemExit) as caught:
        execute_from_command_line(["manage.py", "sla_scan", "--at", "2026-12-31T10:00"])
    assert caught.value.code == 2
    assert "later than now" in capsys.readouterr().err


def test_a_future_scan_with_allow_future_is_a_rehearsal_that_keeps_nothing(policies, ticket, staff, monkeypatch):
    from io import StringIO

    from engine.management.commands import sla_scan as command

    # a ticket waiting on its requester: the scan would expire it (a transition) and escalate nothing
    opened(ticket, staff)
    engine.run(ticket, "ask", actor=staff, data={"note": "which one?"}, occurred_at=beirut(2026, 11, 20, 12))
    monkeypatch.setattr(command, "wall_clock", lambda: beirut(2026, 11, 23, 9))
    events, messages = AuditEvent.objects.count(), OutboxMessage.objects.count()
    out = StringIO()
    with translation.override("en"):
        call_command("sla_scan", "--at", "2027-01-31T10:00", "--allow-future", stdout=out)
    # it says what it would do ...
    assert "WOULD" in out.getvalue() and "1 transitions run" in out.getvalue()
    # ... and nothing future-dated is kept: no event, no message, no clock moved
    assert (AuditEvent.objects.count(), OutboxMessage.objects.count()) == (events, messages)
    ticket.refresh_from_db()
    assert ticket.state == "waiting"
    assert not SlaClock.objects.filter(case_id=ticket.pk, breached_at__isnull=False).exists()


def test_a_policy_edited_in_another_process_is_seen_through_the_shared_generation(policies, monkeypatch):
    from django.core.cache import cache

    # given this process has the policies cached
    assert sla.policy_for("sample.ticket", "open").allowance_days == 5
    # when another process changes one (no signal here) and bumps the shared generation
    SlaPolicy.objects.filter(pk=policies["open"].pk).update(allowance_days=3)
    assert sla.policy_for("sample.ticket", "open").allowance_days == 5, "still cached: nothing told this process"
    cache.set(sla._POLICY_GENERATION_KEY, "another-process")
    monkeypatch.setattr(sla, "_RECHECK_SECONDS", 0.0)
    # then this process reloads on its next look
    assert sla.policy_for("sample.ticket", "open").allowance_days == 3


def test_policy_invalidation_reaches_other_processes_only_after_commit(policies, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    before = cache.get(sla._POLICY_GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        policies["open"].allowance_days = 4
        policies["open"].save()
        assert cache.get(sla._POLICY_GENERATION_KEY) == before
    for callback in callbacks:
        callback()
    assert cache.get(sla._POLICY_GENERATION_KEY) != before


def test_a_back_filled_breach_transition_never_predates_the_cases_last_change(policies, ticket, staff):
    opened(ticket, staff)
    engine.run(ticket, "ask", actor=staff, data={"note": "?"}, occurred_at=beirut(2026, 11, 24, 10))
    # given the case was last touched on Thursday 10 Dec, after its waiting clock fell due (Tue 8 Dec)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=beirut(2026, 12, 10, 9))
    # when a back-fill scans as of Wednesday 9 Dec
    result = sla.scan(beirut(2026, 12, 9, 12))
    # then the expiry is recorded at the last change, keeping the history in order
    assert result.transitioned == 1
    event = AuditEvent.objects.filter(case_id=ticket.pk, action="expire").get()
    assert event.occurred_at == beirut(2026, 12, 10, 9)


def test_a_closure_day_added_later_moves_running_deadlines(policies, ticket, staff):
    from datetime import date

    from engine.models import ClosureDay

    clock = opened(ticket, staff)
    other = engine.create_case(Ticket, actor=staff, title="Old", owner=staff)
    breached = opened(other, staff, at=beirut(2026, 11, 2, 9))
    sla.scan(beirut(2026, 11, 20, 12))
    # when Monday 23 Nov is declared closed (a strike) after the clock started
    ClosureDay.objects.create(date=date(2026, 11, 23), reason="Strike")
    moved = sla.recompute_due_dates(date(2026, 11, 23))
    # then the 45 working hours skip Monday: Fri 5 h, Tue–Fri 32 h, Mon 30 Nov 8 h → Mon 30 Nov 16:00,
    # and 33.75 h: Fri 5 h + Tue–Thu 24 h + Fri 27 08:00 + 4.75 h = 12:45
    clock.refresh_from_db()
    assert moved == 1
    assert (clock.due_at, clock.warn_at) == (beirut(2026, 11, 30, 16), beirut(2026, 11, 27, 12, 45))
    # and a clock already breached keeps its breach and its due time
    breached.refresh_from_db()
    assert breached.status == "breached" and breached.due_at == beirut(2026, 11, 9, 16)
    # and recomputing again changes nothing
    assert sla.recompute_due_dates(date(2026, 11, 23)) == 0


# --- the set-based scan (PostgreSQL, the engine's default router) ------------------------------


def test_the_one_statement_scan_writes_exactly_the_rows_the_python_path_writes(settings, policies, ticket, staff):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement scan needs PostgreSQL")
    from engine import outbox
    from engine.audit import jsonable

    settings.ENGINE = {**settings.ENGINE, "OUTBOX_ROUTER": "engine.outbox.default_router", "OUTBOX_DISPATCHER": ""}
    marking = SlaPolicy.objects.create(flow="sample.ticket", state="resolved", allowance_days=1, owner="staff",
                                       on_breach=SlaPolicy.OnBreach.MARK)  # fmt: skip
    _bulk_clocks(policies["open"], 6, beirut(2026, 11, 20, 11))
    _bulk_clocks(policies["waiting"], 3, beirut(2026, 11, 20, 11), first_id=100)
    _bulk_clocks(marking, 2, beirut(2026, 11, 20, 11), first_id=200)
    # one due time with microseconds, as a clock computed from a transition's moment has
    SlaClock.objects.filter(case_id=10_001).update(due_at=datetime(2026, 11, 27, 11, 30, 5, 123456, tzinfo=UTC))
    at = beirut(2026, 11, 27, 16)
    clocks = {c.pk: c for c in SlaClock.objects.all()}
    with CaptureQueriesContext(connection) as captured:
        result = sla.scan(at)
    touching = [q["sql"] for q in captured.captured_queries if "engine_slaclock" in q["sql"]]
    # the read of deadlines that settle by a transition (silence is consent), then ONE statement for the rest
    assert len(touching) == 2 and touching[0].startswith("SELECT") and "engine_outboxmessage" in touching[1]
    written = {
        (r.event, r.case_type, r.case_id, r.case_reference, r.channel, r.dedupe_key, r.status, json_dump(r.payload))
        for r in OutboxMessage.objects.filter(event__startswith="sla_")
    }
    # what the Python path builds from the same clocks
    expected = set()
    escalated = 0
    for clock in SlaClock.objects.filter(status__in=["warning", "breached"], pk__in=clocks):
        row = {"id": clock.pk, "case_type": clock.case_type, "case_id": clock.case_id,
               "case_reference": clock.case_reference, "state": clock.state, "owner": clock.owner,
               "due_at": clock.due_at, "policy_id": clock.policy_id}  # fmt: skip
        if clock.status == "warning":
            event = sla._event("sla_warning", "warning", row, {})
        else:
            policy = clock.policy
            if policy.on_breach == SlaPolicy.OnBreach.MARK:
                continue
            extra = {"on_breach": policy.on_breach, "escalate": policy.on_breach == SlaPolicy.OnBreach.ESCALATE}
            if policy.on_breach == SlaPolicy.OnBreach.TRANSITION and policy.breach_transition:
                extra["transition"] = policy.breach_transition
            escalated += int(extra["escalate"])
            event = sla._event("sla_breach", "breach", row, extra)
        [built] = outbox.default_router([event])
        expected.add((built.event, built.case_type, built.case_id, built.case_reference, built.channel,
                      built.dedupe_key, built.status, json_dump(jsonable(built.payload))))  # fmt: skip
    assert written == expected and len(written) >= 8
    assert (result.warned + result.breached, result.escalated) == (
        SlaClock.objects.filter(status__in=["warning", "breached"]).count(),
        escalated,
    )
    # and a second scan changes nothing
    again = sla.scan(at)
    assert (again.warned, again.breached) == (0, 0)


def json_dump(value) -> str:
    import json

    return json.dumps(value, sort_keys=True)
