"""The outbox writes every row of a transition in one INSERT, exactly as the router built them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

import engine
from engine import outbox
from engine.models import OutboxMessage
from notify import routing

pytestmark = pytest.mark.django_db


def _outbox_inserts(captured) -> list[str]:
    table = OutboxMessage._meta.db_table
    # On PostgreSQL the engine writes the case, its events and the outbox rows in one WITH statement
    # (engine.writes); the outbox's insert is then one part of it.
    quoted = connection.ops.quote_name(table)
    return [q["sql"] for q in captured.captured_queries if f"INSERT INTO {quoted}" in q["sql"]]


def test_twenty_recipients_are_written_in_one_statement(ticket, audiences, crowd):
    # when a transition tells twenty people by two channels
    with CaptureQueriesContext(connection) as captured:
        engine.run(ticket, "open", actor=audiences["staff"])
    # then all 41 rows (the event's own + 20 x in-app and email) came in ONE insert
    assert len(_outbox_inserts(captured)) == 1
    rows = OutboxMessage.objects.filter(case_id=ticket.pk, event="open")
    assert rows.count() == 41
    recipients = rows.exclude(channel=routing.EVENT)
    assert sorted(set(recipients.values_list("recipient_id", flat=True))) == sorted(p.pk for p in crowd)
    assert sorted(set(recipients.values_list("channel", flat=True))) == [routing.EMAIL, routing.IN_APP]
    row = recipients.get(recipient=crowd[3], channel=routing.EMAIL)
    assert row.dedupe_key == f"sample.ticket:{ticket.pk}:2:open:{crowd[3].pk}:email"
    assert row.status == OutboxMessage.Status.PENDING and row.attempts == 0 and row.sent_at is None
    assert row.payload["kind"] == "open" and row.payload["actor_name"] == "Sami Staff"


def test_inserted_rows_read_back_as_built_and_get_their_ids_in_order():
    # given rows with every kind of value a router sets
    when = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
    built = [
        OutboxMessage(
            event="submit",
            case_type="sample.ticket",
            case_id=1000 + i,
            case_reference=f"TCK-2026-{i:05d}",
            audit_seq=i or None,
            channel="event",
            payload={"n": i, "text": 'نص عربي "quoted"', "nested": {"list": [1, 2.5, None, True]}},
            dedupe_key=f"bulk:{i}",
            status=OutboxMessage.Status.SKIPPED if i % 2 else OutboxMessage.Status.PENDING,
            deliver_after=when if i == 3 else None,
            last_error="routing failed" if i == 4 else "",
        )
        for i in range(6)
    ]
    # when
    with CaptureQueriesContext(connection) as captured:
        written = outbox.insert_rows(built)
    # then one statement, every row has its id, in the order given
    assert len(_outbox_inserts(captured)) == 1
    assert [row.pk for row in written] == sorted(row.pk for row in written)
    stored = {row.pk: row for row in OutboxMessage.objects.filter(pk__in=[r.pk for r in written])}
    for row in written:
        again = stored[row.pk]
        for name in ("event", "case_type", "case_id", "case_reference", "audit_seq", "channel", "payload",
                     "dedupe_key", "status", "deliver_after", "last_error", "attempts"):  # fmt: skip
            assert getattr(again, name) == getattr(row, name), name
        assert again.created_at is not None


def test_a_payload_json_cannot_hold_is_refused_as_the_json_field_would():
    # given a payload with a raw datetime (routers hand over ``jsonable`` payloads)
    bad = OutboxMessage(event="x", dedupe_key="enc:1", payload={"due_at": datetime(2026, 11, 27, tzinfo=UTC)})
    # then the insert is refused and writes nothing
    with pytest.raises(TypeError):
        with transaction.atomic():
            outbox.insert_rows([OutboxMessage(event="x", dedupe_key="enc:0"), bad])
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="enc:").exists()


def test_a_duplicate_occurrence_fails_the_whole_insert(ticket, audiences, crowd):
    engine.run(ticket, "open", actor=audiences["staff"])
    before = OutboxMessage.objects.count()
    again = [
        OutboxMessage(event="open", dedupe_key="fresh:1"),
        OutboxMessage(event="open", dedupe_key=f"sample.ticket:{ticket.pk}:2:open:{crowd[0].pk}:email"),
    ]
    # when the same occurrence is written a second time
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            outbox.insert_rows(again)
    # then nothing of the batch was written
    assert OutboxMessage.objects.count() == before


def test_a_fast_built_row_is_the_row_the_model_builds():
    # given the values a router sets for one recipient's row
    values = {
        "event": "open",
        "case_type": "sample.ticket",
        "case_id": 7,
        "case_reference": "TCK-2026-00007",
        "audit_seq": 3,
        "recipient_id": 11,
        "channel": routing.EMAIL,
        "payload": {"kind": "open", "title": "عنوان"},
        "dedupe_key": "sample.ticket:7:3:open:11:email",
        "deliver_after": datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
    }
    # when / then every column holds what OutboxMessage(**values) holds, defaults included
    fast, slow = outbox.new_row(**values), OutboxMessage(**values)
    for field in OutboxMessage._meta.concrete_fields:
        if field.attname != "created_at":
            assert getattr(fast, field.attname) == getattr(slow, field.attname), field.attname
    assert fast.created_at is not None and fast._state.adding and fast.pk is None
    assert outbox.new_row().payload is not outbox.new_row().payload
    with pytest.raises(TypeError):
        outbox.new_row(recipient=None)
