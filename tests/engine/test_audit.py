"""The audit chain: the database refuses rewrites, and verification names what was tampered with."""

from __future__ import annotations

import gc
import json
import time
import tracemalloc

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import engine
from engine import audit
from engine.audit import build_event, compute_hash, event_fields, verify_all
from engine.models import GENESIS_HASH, AuditEvent
from workflows.sample.models import Ticket

# Tickets audit no fields or rows (no digests to compare) and nothing read the access log.
NO_DIGESTS = {"digests_checked": 0, "cases_without_digest": 0, "access_entries_checked": 0}

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    # No password: hashing one costs more than the rest of a test.
    return django_user_model.objects.create_user("staff", is_staff=True)


@pytest.fixture
def tickets(staff):
    """Three tickets with a few events each: create → open → ask (→ answer for the last one)."""
    made = []
    for number in range(3):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff)
        engine.run(ticket, "ask", actor=staff, data={"note": f"Which floor? الطابق {number}"})
        made.append(ticket)
    engine.run(made[2], "answer", actor=staff, data={"note": "Third floor"})
    return made


def drop_audit_triggers() -> None:
    """Lift the append-only guard inside the test's transaction (DDL rolls back with it)."""
    with connection.cursor() as cursor:
        for name in ("engine_auditevent_no_update", "engine_auditevent_no_delete"):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {name} ON engine_auditevent")
            else:
                cursor.execute(f"DROP TRIGGER {name}")


def raw(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def event_id(ticket: Ticket, seq: int) -> int:
    return AuditEvent.objects.get(case_type="sample.ticket", case_id=ticket.pk, seq=seq).pk


def failures_by_reference(report: audit.VerifyReport) -> dict[str, tuple[int | None, str]]:
    return {failure.case_reference: (failure.seq, failure.code) for failure in report.failures}


# --- the database guards the table ------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE engine_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM engine_auditevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_database_refuses_to_change_or_delete_an_audit_event(tickets, statement):
    # given
    target = event_id(tickets[0], 2)
    # when
    with pytest.raises(DatabaseError) as refused:
        with transaction.atomic():
            raw(statement, [target])
    # then
    assert "append-only" in str(refused.value)
    event = AuditEvent.objects.get(pk=target)
    assert event.action == "open"
    assert verify_all().ok


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["UPDATE engine_auditevent SET data = '{}'", "DELETE FROM engine_auditevent"])
def test_postgresql_refuses_bulk_rewrites_too(tickets, statement):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(statement)
    assert AuditEvent.objects.count() == 10


# --- verification -----------------------------------------------------------------------------


def test_intact_history_verifies_with_counts(tickets):
    # when
    report = verify_all()
    # then
    assert report.ok
    assert report.as_dict() == {"ok": True, "cases_checked": 3, "events_checked": 10, **NO_DIGESTS, "failures": []}


def test_changed_event_data_is_named_at_that_event(tickets):
    # given an event whose data is rewritten behind the engine's back
    drop_audit_triggers()
    raw(
        "UPDATE engine_auditevent SET data = %s WHERE id = %s",
        [json.dumps({"note": "Ground floor"}), event_id(tickets[1], 3)],
    )
    # when
    report = verify_all()
    # then
    assert not report.ok
    assert failures_by_reference(report) == {tickets[1].reference: (3, "hash_mismatch")}
    failure = report.as_dict()["failures"][0]
    assert failure["case_id"] == tickets[1].pk and failure["case_type"] == "sample.ticket"
    assert "#3" in failure["problem"]


def test_deleted_middle_event_is_named(tickets):
    drop_audit_triggers()
    raw("DELETE FROM engine_auditevent WHERE id = %s", [event_id(tickets[2], 2)])
    report = verify_all()
    assert failures_by_reference(report) == {tickets[2].reference: (2, "missing_event")}
    assert report.events_checked == 9


def test_event_replaced_with_a_rehashed_one_breaks_the_link_to_the_next(tickets, staff):
    # given event #2 rewritten and re-hashed, but the next event still points to the original
    drop_audit_triggers()
    original = AuditEvent.objects.get(pk=event_id(tickets[2], 2))
    original.actor_label = "someone-else"
    forged_hash = compute_hash(original.prev_hash, event_fields(original))
    raw(
        "UPDATE engine_auditevent SET actor_label = %s, hash = %s WHERE id = %s",
        ["someone-else", forged_hash, original.pk],
    )
    # when
    report = verify_all()
    # then
    assert failures_by_reference(report) == {tickets[2].reference: (3, "broken_link")}


def test_state_written_behind_the_engine_is_caught(tickets):
    # given a raw UPDATE of a case's state (no trigger guards case tables)
    raw("UPDATE sample_ticket SET state = 'resolved' WHERE id = %s", [tickets[0].pk])
    # when
    report = verify_all()
    # then
    assert failures_by_reference(report) == {tickets[0].reference: (3, "state_mismatch")}
    assert "resolved" in report.failures[0].problem and "waiting" in report.failures[0].problem


def test_removed_last_events_are_caught_through_the_head_kept_on_the_case(tickets):
    drop_audit_triggers()
    raw("DELETE FROM engine_auditevent WHERE case_id = %s AND seq >= 3", [tickets[1].pk])
    raw("UPDATE sample_ticket SET state = 'open' WHERE id = %s", [tickets[1].pk])
    report = verify_all()
    assert failures_by_reference(report) == {tickets[1].reference: (3, "missing_tail")}


def test_chain_head_that_does_not_match_is_caught(tickets):
    raw("UPDATE sample_ticket SET audit_hash = %s WHERE id = %s", ["f" * 64, tickets[0].pk])
    report = verify_all()
    assert failures_by_reference(report) == {tickets[0].reference: (3, "head_mismatch")}


def test_event_appended_outside_the_engine_is_caught(tickets, staff):
    # given a well-hashed event inserted with SQL-level access, without moving the case's head
    ticket = Ticket.objects.get(pk=tickets[0].pk)
    forged = build_event(ticket, action="resolve", actor=staff, from_state="waiting", to_state="waiting")
    forged.save(force_insert=True)
    # when
    report = verify_all()
    # then
    assert failures_by_reference(report) == {tickets[0].reference: (4, "head_behind")}


def test_case_without_history_and_history_without_case_both_fail(tickets, staff):
    # given a case inserted without the engine, and a case deleted from under its history
    now = timezone.now()
    stray = Ticket.objects.create(
        reference="TCK-2026-9999", state="open", title="Stray", created_at=now, updated_at=now
    )
    raw("DELETE FROM sample_ticket WHERE id = %s", [tickets[1].pk])
    # when
    report = verify_all()
    # then
    assert failures_by_reference(report) == {
        "TCK-2026-9999": (1, "no_history"),
        tickets[1].reference: (1, "orphan_history"),
    }
    assert report.cases_checked == 4
    assert {failure.case_id for failure in report.failures} == {stray.pk, tickets[1].pk}


def test_history_of_a_case_type_no_workflow_handles_fails(tickets):
    # given a perfectly chained event for a case type that no installed workflow knows
    event = AuditEvent(
        case_type="retired.flow",
        case_id=1,
        case_reference="OLD-2020-0001",
        seq=1,
        occurred_at=timezone.now(),
        action="create",
        to_state="new",
        data={},
        prev_hash=GENESIS_HASH,
    )
    event.hash = compute_hash(GENESIS_HASH, event_fields(event))
    event.save(force_insert=True)
    # when
    report = verify_all()
    # then
    assert failures_by_reference(report) == {"OLD-2020-0001": (1, "unknown_case_type")}


def test_each_broken_case_is_named_once_at_its_first_broken_event(tickets):
    drop_audit_triggers()
    raw("UPDATE engine_auditevent SET action = 'x' WHERE case_id = %s AND seq IN (2, 3)", [tickets[0].pk])
    raw("UPDATE sample_ticket SET state = 'resolved' WHERE id = %s", [tickets[2].pk])
    report = verify_all()
    assert [(f.case_reference, f.seq, f.code) for f in report.failures] == [
        (tickets[0].reference, 2, "hash_mismatch"),
        (tickets[2].reference, 4, "state_mismatch"),
    ]


def test_a_case_moved_while_verification_runs_is_not_reported(tickets, staff):
    # given the case row and history as a cursor read them, before a transition landed
    stale_row = (tickets[0].pk, "waiting", tickets[0].reference, 3, Ticket.objects.get(pk=tickets[0].pk).audit_hash)
    engine.run(tickets[0], "answer", actor=staff, data={"note": "Second floor"})
    stale_chain = audit.ChainCheck("sample.ticket", tickets[0].pk, tickets[0].reference)
    for event in AuditEvent.objects.filter(case_id=tickets[0].pk, seq__lte=3).order_by("seq"):
        stale_chain.feed(event_fields(event), event.prev_hash, event.hash)
    verifier = audit._Verifier(checkpoint=None, collect_heads=True, progress=None, chunk_size=100)
    # when the stale pair disagrees (the row says #3, while a fresh history has #4) …
    verifier.conclude(Ticket, "sample.ticket", tickets[0].pk, stale_chain, (*stale_row[:3], 4, stale_row[4]))
    verifier.settle_suspects()
    # then the case is verified again under its lock and found intact
    assert verifier.report.failures == []
    assert verifier.report.heads[f"sample.ticket:{tickets[0].pk}"]["seq"] == 4


def test_heads_collected_for_a_checkpoint_match_the_cases(tickets):
    report = verify_all(collect_heads=True)
    for ticket in Ticket.objects.all():
        assert report.heads[f"sample.ticket:{ticket.pk}"] == {
            "seq": ticket.audit_seq,
            "hash": ticket.audit_hash,
            "reference": ticket.reference,
        }


def test_progress_is_reported_while_verifying(tickets, monkeypatch):
    # The Python pass reports every PROGRESS_EVERY events (the database pass once per case type).
    monkeypatch.setattr(audit, "PROGRESS_EVERY", 4)
    seen: list[int] = []
    verify_all(progress=seen.append, method="python")
    assert seen == [4, 8, 10]


def test_progress_of_the_database_pass_ends_at_every_event(tickets):
    if connection.vendor != "postgresql":
        pytest.skip("the in-database verifier needs PostgreSQL")
    seen: list[int] = []
    verify_all(progress=seen.append, method="database")
    assert seen and seen[-1] == 10 and seen == sorted(seen)


# --- memory: verification streams, it does not load every case ---------------------------


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """One executemany: the ORM's per-field preparation would dominate the test's time."""
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(map(quote, columns)), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def bulk_history(actor, cases: int, events_per_case: int) -> None:
    """Many cases whose chains are made by the real ``build_event``, inserted in bulk."""
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    first_id = 1_000_000
    case_rows, event_rows = [], []
    for number in range(cases):
        ticket = Ticket(id=first_id + number, reference=f"TCK-1999-{number:05d}", state="new", title=f"Bulk {number}")
        chain = [build_event(ticket, action="create", actor=actor, to_state="new", occurred_at=now)]
        for step in range(1, events_per_case):
            target = "waiting" if ticket.state == "open" else "open"
            chain.append(
                build_event(
                    ticket,
                    action="ask" if target == "waiting" else "open",
                    actor=actor,
                    actor_role="staff",
                    from_state=ticket.state,
                    to_state=target,
                    data={"note": f"step {step}"},
                    occurred_at=now,
                )
            )
            ticket.state = target
        case_rows.append(
            (
                ticket.id,
                ticket.reference,
                ticket.state,
                0,
                ticket.audit_seq,
                ticket.audit_hash,
                db_now,
                db_now,
                ticket.title,
                "",
            )
        )
        event_rows.extend(
            (
                "sample.ticket",
                e.case_id,
                e.case_reference,
                e.seq,
                db_now,
                actor.pk,
                e.actor_label,
                e.actor_role,
                e.action,
                e.from_state,
                e.to_state,
                connection.ops.adapt_json_value(e.data, None),
                "",
                e.prev_hash,
                e.hash,
            )
            for e in chain
        )
    insert_rows(
        Ticket,
        ("id", "reference", "state", "version", "audit_seq", "audit_hash", "created_at", "updated_at", "title", "note"),
        case_rows,
    )
    event_columns = (
        "case_type",
        "case_id",
        "case_reference",
        "seq",
        "occurred_at",
        "actor_id",
        "actor_label",
        "actor_role",
        "action",
        "from_state",
        "to_state",
        "data",
        "user_agent",
        "prev_hash",
        "hash",
    )
    insert_rows(AuditEvent, event_columns, event_rows)


def test_verify_streams_in_constant_memory(staff):
    # given 10,000 events over 5,000 cases
    bulk_history(staff, cases=5000, events_per_case=2)
    gc.collect()
    # when verified under tracemalloc
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = verify_all(chunk_size=500)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    # then every event was checked, and the peak stays far below what holding 5,000 case rows takes
    assert report.ok, report.failures[:3]
    assert (report.cases_checked, report.events_checked) == (5000, 10000)
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1024:.0f} KiB"
    assert elapsed < 10


def test_case_ranges_cut_the_cases_by_their_events(staff):
    # given nine tickets with 2, 4, 6, 2, 4, 6, 2, 4, 6 events: 36 in all, 12 for each of three parts
    made = []
    for number in range(9):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff)
        for _ in range(number % 3):
            engine.run(ticket, "ask", actor=staff, data={"note": "Which floor?"})
            engine.run(ticket, "answer", actor=staff, data={"note": "Third"})
        made.append(ticket)
    # when
    ranges = audit.case_ranges(Ticket, 3)
    # then three contiguous ranges over every id, cut after the third and the sixth ticket
    first, second = made[2].pk, made[5].pk
    assert ranges == [(-(2**63), first), (first + 1, second), (second + 1, 2**63 - 1)]
    assert [
        AuditEvent.objects.filter(case_type="sample.ticket", case_id__range=bounds).count() for bounds in ranges
    ] == [
        12,
        12,
        12,
    ]
