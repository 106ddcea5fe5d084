"""A unit's writes (case row, audit events, outbox rows) in as few statements as the database allows.

On PostgreSQL with the engine's default router a transition is: the lock, its clock, and ONE statement
writing the case (version-checked), the event and the outbox row. With a router that may read the
case (the notification router) or save receivers on the case model, the case row is written first,
as ``Model.save`` writes it, and the event and outbox rows follow in one statement.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

import engine
from engine import audit, outbox, writes
from engine.errors import ConcurrentChange
from engine.models import AuditEvent, OutboxMessage, SlaClock, SlaPolicy
from workflows.sample.models import Ticket

pytestmark = pytest.mark.django_db

DEFAULT_ROUTER = {"OUTBOX_ROUTER": "engine.outbox.default_router", "OUTBOX_DISPATCHER": ""}


@pytest.fixture
def staff(make_user):
    return make_user("staff", is_staff=True)


@pytest.fixture
def default_router(settings):
    settings.ENGINE = {**settings.ENGINE, **DEFAULT_ROUTER}
    outbox._load.cache_clear()
    yield
    outbox._load.cache_clear()


@pytest.fixture
def ticket(staff):
    SlaPolicy.objects.create(flow="sample.ticket", state="open", allowance_days=5, owner="staff")
    case = engine.create_case(Ticket, actor=staff, title="Printer", owner=staff)
    engine.run(case, "open", actor=staff)
    return case


def _statements(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement unit write is PostgreSQL's")


def test_a_transition_is_three_statements_with_the_default_router(ticket, staff, default_router):
    _postgres_only()
    # when
    with CaptureQueriesContext(connection) as captured:
        engine.run(ticket, "resolve", actor=staff)
    # then lock, clock, and one write of case + event + outbox row (was five statements)
    statements = _statements(captured)
    assert len(statements) == 3, statements
    assert statements[-1].startswith("WITH c AS (UPDATE")
    ticket.refresh_from_db()
    event = AuditEvent.objects.get(case_id=ticket.pk, seq=ticket.audit_seq)
    assert (ticket.state, ticket.version, ticket.audit_hash) == ("resolved", 2, event.hash)
    assert (event.action, event.from_state, event.to_state) == ("resolve", "open", "resolved")
    row = OutboxMessage.objects.get(case_id=ticket.pk, event="resolve")
    assert (row.audit_seq, row.payload["to_state"]) == (event.seq, "resolved")
    assert not SlaClock.objects.filter(case_id=ticket.pk, stopped_at__isnull=True).exists()
    assert audit.verify_all().ok


def test_with_a_router_that_may_read_the_case_it_is_written_first(ticket, staff):
    _postgres_only()
    # given the notification router (settings' default)
    # when
    with CaptureQueriesContext(connection) as captured:
        result = engine.run(ticket, "resolve", actor=staff)
    # then the case UPDATE is its own statement, before the events and outbox rows (one statement)
    statements = _statements(captured)
    update = next(i for i, sql in enumerate(statements) if sql.startswith('UPDATE "sample_ticket"'))
    combined = next(i for i, sql in enumerate(statements) if sql.startswith("WITH e AS (INSERT"))
    assert update < combined
    assert result.event.pk == AuditEvent.objects.get(case_id=ticket.pk, seq=result.event.seq).pk
    assert audit.verify_all().ok


def test_save_receivers_of_the_case_model_still_run(ticket, staff, default_router):
    # given a receiver on the case model's post_save (a search index would be one)
    seen = []

    def saved(sender, instance, created, **kwargs):
        seen.append((instance.pk, instance.state, created))

    post_save.connect(saved, sender=Ticket, dispatch_uid="test-unit-writes")
    try:
        # when
        engine.run(ticket, "resolve", actor=staff)
    finally:
        post_save.disconnect(dispatch_uid="test-unit-writes", sender=Ticket)
    # then
    assert seen == [(ticket.pk, "resolved", False)]


def test_an_event_recorded_alone_is_one_statement_after_the_lock(ticket, staff, default_router):
    _postgres_only()
    # when
    with CaptureQueriesContext(connection) as captured:
        event = engine.record(ticket, "comment", actor=staff, data={"text": "hello"})
    # then
    assert len(_statements(captured)) == 2
    ticket.refresh_from_db()
    assert (ticket.audit_seq, ticket.audit_hash) == (event.seq, event.hash)
    assert OutboxMessage.objects.filter(case_id=ticket.pk, event="comment", audit_seq=event.seq).count() == 1
    assert audit.verify_all().ok


def test_a_version_that_moved_is_refused_and_nothing_is_written(ticket, staff, default_router):
    _postgres_only()
    # given the case as the unit locked it, and a version someone else already moved past
    events_before, rows_before = AuditEvent.objects.count(), OutboxMessage.objects.count()
    locked = Ticket.objects.get(pk=ticket.pk)
    event = audit.build_event(locked, action="comment", actor=staff, actor_role="staff")
    # when
    with pytest.raises(ConcurrentChange), transaction.atomic():
        writes.save_unit(locked, moved=True, version=locked.version - 1, events=[event], notices=[])
    # then
    assert (AuditEvent.objects.count(), OutboxMessage.objects.count()) == (events_before, rows_before)
    ticket.refresh_from_db()
    assert ticket.audit_seq == event.seq - 1


def test_followers_and_their_outbox_rows_keep_their_order(ticket, staff, default_router):
    # given two events written by one unit (a unit's own and one recorded by its on_success)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    first = audit.build_event(locked, action="comment", actor=staff, actor_role="staff", data={"n": 1})
    second = audit.build_event(locked, action="comment", actor=staff, actor_role="staff", data={"n": 2})
    notices = [
        outbox.OutboxEvent(event="comment", case_type="sample.ticket", case_id=locked.pk, audit_seq=e.seq)
        for e in (first, second)
    ]
    # when
    with transaction.atomic():
        rows = writes.save_unit(locked, moved=False, version=locked.version, events=[first, second], notices=notices)
    # then ids follow the order given, and the chain verifies
    assert first.pk < second.pk
    assert [row.audit_seq for row in rows] == [first.seq, second.seq] and rows[0].pk < rows[1].pk
    assert list(AuditEvent.objects.filter(case_id=locked.pk).order_by("id").values_list("seq", flat=True))[-2:] == [
        first.seq,
        second.seq,
    ]
    assert audit.verify_all().ok
