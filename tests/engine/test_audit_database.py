"""The in-database verifier (PostgreSQL ``sha256()``) agrees with the Python verifier, failure for failure."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

import engine
from engine import audit, audit_sql
from engine.audit import RequestContext, canonical, event_fields, verify_all
from engine.models import AuditEvent
from workflows.sample.models import Ticket

from .test_audit import drop_audit_triggers, event_id, raw

# Tickets audit no fields or rows (no digests to compare) and nothing read the access log.
NO_DIGESTS = {"digests_checked": 0, "cases_without_digest": 0, "access_entries_checked": 0}

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Everything the canonical form must escape, order or keep as it is.
AWKWARD = {
    "note": 'quote " backslash \\ slash / tab \t newline \n return \r bell \x07 nul-ish \x1f del \x7f',
    "arabic": "الطابق الثالث",
    "emoji": "✅ 🚀",
    "line separator": "a\u2028b",
    "nested": {"b": 1, "aa": [1, -2, 0, True, False, None, "x"], "É": {}, "Z": [], "é": {"k": "v"}},
    "big": 123456789012345678901234567890,
    "empty": "",
}
FRACTIONS = {"ratio": 0.75, "tiny": 0.00001, "third": 1 / 3}
# Each alone, where a number can stand: a value, an array's first or later element, deeper down.
NUMBERS = [{"ratio": -0.5}, {"list": [1e-05]}, {"list": ["a", 2.5]}, {"deep": {"n": [{"x": 7.5}]}}]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the in-database verifier needs PostgreSQL")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", is_staff=True)


@pytest.fixture
def tickets(staff):
    """Five tickets with awkward data, addresses and agents in their history."""
    made = []
    for number in range(5):
        context = RequestContext(
            ip_address=["203.0.113.9", "2001:db8::1", "::1", None, "10.0.0.1"][number],
            user_agent=["Mozilla/5.0 (X11) “quoted”", "", "curl/8", "agent\twith tab", "ü"][number],
        )
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff, context=context)
        engine.run(ticket, "open", actor=staff, context=context, audit_data=AWKWARD)
        engine.run(ticket, "ask", actor=staff, data={"note": f"Which floor? الطابق {number}"}, context=context)
        made.append(ticket)
    return made


def _canonical_in_database() -> dict[int, str]:
    sql = f"SELECT e.id, {audit_sql._CANONICAL} FROM engine_auditevent e"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def _both() -> tuple[dict, dict]:
    return verify_all(method="python").as_dict(), verify_all(method="database").as_dict()


def test_postgresql_writes_the_canonical_json_byte_for_byte(tickets):
    in_database = _canonical_in_database()
    assert len(in_database) == 15
    for event in AuditEvent.objects.all():
        assert in_database[event.pk].encode() == canonical(event_fields(event)), event.pk


def test_intact_history_verifies_in_the_database_without_python(tickets, monkeypatch):
    # given no value PostgreSQL prints differently: Python is asked about no case
    rechecked: list[int] = []
    real = audit._recheck
    monkeypatch.setattr(audit, "_recheck", lambda *args: rechecked.append(args[2]) or real(*args))
    python, database = _both()
    assert database == python == {"ok": True, "cases_checked": 5, "events_checked": 15, **NO_DIGESTS, "failures": []}
    assert rechecked == []


def test_fractions_are_left_to_python_and_still_verify(tickets, staff, monkeypatch):
    engine.run(tickets[1], "answer", actor=staff, data={"note": "3rd"}, audit_data=FRACTIONS)
    rechecked: list[int] = []
    real = audit._recheck
    monkeypatch.setattr(audit, "_recheck", lambda *args: rechecked.append(args[2]) or real(*args))
    python, database = _both()
    assert database == python and database["ok"] and database["events_checked"] == 16
    assert rechecked == [tickets[1].pk]


@pytest.mark.parametrize("numbers", NUMBERS)
def test_a_fraction_wherever_it_stands_is_judged_in_python(tickets, staff, numbers, monkeypatch):
    engine.run(tickets[2], "answer", actor=staff, data={"note": "3rd"}, audit_data=numbers)
    rechecked: list[int] = []
    real = audit._recheck
    monkeypatch.setattr(audit, "_recheck", lambda *args: rechecked.append(args[2]) or real(*args))
    python, database = _both()
    assert database == python and database["ok"]
    assert rechecked == [tickets[2].pk]


def test_tampered_history_is_named_alike_by_both_verifiers(tickets, staff):
    # given one kind of tampering per case, and one case left alone
    drop_audit_triggers()
    t0, t1, t2, t3, t4 = tickets
    # the awkward data rewritten (one character)
    raw(
        "UPDATE engine_auditevent SET data = jsonb_set(data, '{nested,b}', '2') WHERE id = %s",
        [event_id(t0, 2)],
    )
    # a middle event deleted
    raw("DELETE FROM engine_auditevent WHERE id = %s", [event_id(t1, 2)])
    # the state written behind the engine
    raw("UPDATE sample_ticket SET state = 'resolved' WHERE id = %s", [t2.pk])
    # the last event removed (the head on the case still says #3)
    raw("DELETE FROM engine_auditevent WHERE id = %s", [event_id(t3, 3)])
    # an address changed
    raw("UPDATE engine_auditevent SET ip_address = '10.0.0.2' WHERE id = %s", [event_id(t4, 1)])
    # plus a case without history, and history without a case
    orphan = engine.create_case(Ticket, actor=staff, title="Orphan", owner=staff)
    raw("DELETE FROM sample_ticket WHERE id = %s", [orphan.pk])
    bare = engine.create_case(Ticket, actor=staff, title="Bare", owner=staff)
    raw("DELETE FROM engine_auditevent WHERE case_id = %s AND case_type = 'sample.ticket'", [bare.pk])
    # when both verify
    python, database = _both()
    # then they name the same failures, in the same words, at the same events
    assert database == python
    named = {(f["reference"], f["seq"], f["code"]) for f in database["failures"]}
    assert named == {
        (t0.reference, 2, "hash_mismatch"),
        (t1.reference, 2, "missing_event"),
        (t2.reference, 3, "state_mismatch"),
        (t3.reference, 3, "missing_tail"),
        (t4.reference, 1, "hash_mismatch"),
        (orphan.reference, 1, "orphan_history"),
        (bare.reference, 1, "no_history"),
    }


def test_a_rehashed_forgery_breaks_the_link_in_both(tickets, staff):
    drop_audit_triggers()
    forged = AuditEvent.objects.get(pk=event_id(tickets[2], 2))
    forged.data = {"note": "forged"}
    forged.hash = audit.compute_hash(forged.prev_hash, event_fields(forged))
    raw(
        "UPDATE engine_auditevent SET data = %s, hash = %s WHERE id = %s",
        [json.dumps(forged.data), forged.hash, forged.pk],
    )
    python, database = _both()
    assert database == python
    assert [(f["seq"], f["code"]) for f in database["failures"]] == [(3, "broken_link")]


def test_heads_collected_in_the_database_pass_match_the_python_pass(tickets, staff):
    python = verify_all(method="python", collect_heads=True)
    database = verify_all(method="database", collect_heads=True)
    assert database.heads == python.heads and len(database.heads) == 5


# --- the fast path of the set-based pass (engine.audit_sql._EVENTS) ------------------------


def _swap_seq(ticket: Ticket, first: int, second: int) -> None:
    """Swap two events' sequence numbers (through a free number: (case, seq) is unique)."""
    a, b = event_id(ticket, first), event_id(ticket, second)
    raw("UPDATE engine_auditevent SET seq = 1000 WHERE id = %s", [a])
    raw("UPDATE engine_auditevent SET seq = %s WHERE id = %s", [first, b])
    raw("UPDATE engine_auditevent SET seq = %s WHERE id = %s", [second, a])


def test_changed_hash_and_reordered_seq_are_named_alike(tickets):
    drop_audit_triggers()
    t0, t1, t2, t3, _t4 = tickets
    # a hash replaced by another well-formed one
    raw("UPDATE engine_auditevent SET hash = repeat('ab', 32) WHERE id = %s", [event_id(t0, 2)])
    # the first event's hash replaced, and the next event's link made to match it
    raw("UPDATE engine_auditevent SET hash = repeat('cd', 32) WHERE id = %s", [event_id(t1, 1)])
    raw("UPDATE engine_auditevent SET prev_hash = repeat('cd', 32) WHERE id = %s", [event_id(t1, 2)])
    # two events swapped in the order
    _swap_seq(t2, 2, 3)
    # the last event's hash changed along with the head on the case
    raw("UPDATE engine_auditevent SET hash = repeat('ef', 32) WHERE id = %s", [event_id(t3, 3)])
    raw("UPDATE sample_ticket SET audit_hash = repeat('ef', 32) WHERE id = %s", [t3.pk])
    python, database = _both()
    assert database == python
    named = {(f["reference"], f["seq"], f["code"]) for f in database["failures"]}
    assert named == {
        (t0.reference, 2, "hash_mismatch"),
        (t1.reference, 1, "hash_mismatch"),
        (t2.reference, 2, "broken_link"),
        (t3.reference, 3, "hash_mismatch"),
    }


@pytest.mark.parametrize(
    "recorded, stored",
    [
        # jsonb's text closed up at ", " and ": " would read the same as the canonical bytes of
        # what was recorded: the fast form must parse back to what is stored to be trusted
        ({"note": "x,"}, {"note": "x, "}),
        ({"note": 'say":x'}, {"note": 'say": x'}),
        # the same keys and values in another order of the text are the same data
        ({"b": 1, "aa": 2}, {"aa": 2, "b": 1}),
    ],
)
def test_data_whose_closed_up_text_reads_like_the_recorded_one(staff, recorded, stored):
    ticket = engine.create_case(Ticket, actor=staff, title="Printer", owner=staff)
    engine.run(ticket, "open", actor=staff, audit_data=recorded)
    drop_audit_triggers()
    raw("UPDATE engine_auditevent SET data = %s::jsonb WHERE id = %s", [json.dumps(stored), event_id(ticket, 2)])
    python, database = _both()
    assert database == python
    expected = [] if stored == recorded else [(ticket.reference, 2, "hash_mismatch")]
    assert [(f["reference"], f["seq"], f["code"]) for f in database["failures"]] == expected


def test_common_data_is_judged_without_the_exact_form(staff, monkeypatch):
    # given events whose data jsonb writes in code point order: nothing escaped, no nested value
    for number in range(3):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff, audit_data={"n": number, "note": f"floor {number}, west"})
    # when the exact canonical form of the data is made to fail
    chains = audit_sql._CHAINS.replace(audit_sql._hashes_to(audit_sql._DATA, audit_sql._PLAIN_EXACT), "false")
    assert chains != audit_sql._CHAINS
    monkeypatch.setattr(audit_sql, "_CHAINS", chains)
    rechecked: list[int] = []
    real = audit._recheck
    monkeypatch.setattr(audit, "_recheck", lambda *args: rechecked.append(args[2]) or real(*args))
    # then the fast form alone verifies them: no case is left to Python
    assert verify_all(method="database").as_dict()["failures"] == []
    assert rechecked == []


@pytest.fixture
def audited_tickets(staff, monkeypatch):
    """Tickets that audit their title and note: every event carries a digest."""
    monkeypatch.setattr(Ticket, "audited_fields", ("title", "note"), raising=False)
    made = []
    for number in range(4):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff, audit_data={"note": f"floor {number}"})
        made.append(ticket)
    return made


def test_broken_digests_are_named_alike(audited_tickets):
    assert AuditEvent.objects.filter(digest__isnull=True).count() == 0
    drop_audit_triggers()
    t0, t1, t2, _t3 = audited_tickets
    # the digest inside an event rewritten
    raw("UPDATE engine_auditevent SET digest = repeat('0', 64) WHERE id = %s", [event_id(t0, 2)])
    # an audited field changed behind the engine
    raw("UPDATE sample_ticket SET title = 'Scanner' WHERE id = %s", [t1.pk])
    # and the field together with the record of what it was
    raw("UPDATE sample_ticket SET title = 'Fax' WHERE id = %s", [t2.pk])
    raw(
        "UPDATE engine_auditevent SET snapshot = jsonb_set(snapshot, '{case,title}', '\"Fax\"') WHERE id = %s",
        [event_id(t2, 2)],
    )
    python, database = _both()
    assert database == python
    named = {(f["reference"], f["seq"], f["code"]) for f in database["failures"]}
    assert named == {
        (t0.reference, 2, "hash_mismatch"),
        (t1.reference, 2, "field_changed"),
        (t2.reference, 2, "snapshot_altered"),
    }
    assert (database["digests_checked"], database["cases_without_digest"]) == (3, 0)


@pytest.mark.parametrize(
    "recorded, stored",
    [
        # a string written out as the JSON escapes of the recorded one: between plain quotes it
        # would read as the recorded canonical bytes, so a backslash or a quote takes JSON's quoting
        ("agent\twith tab", "agent\\twith tab"),
        ("bell \u0007", "bell \\u0007"),
        ('say "hi"', 'say \\"hi\\"'),
    ],
)
def test_strings_stored_as_their_own_json_escapes_do_not_verify(staff, recorded, stored):
    context = RequestContext(ip_address=None, user_agent=recorded)
    ticket = engine.create_case(Ticket, actor=staff, title="Printer", owner=staff, context=context)
    engine.run(ticket, "open", actor=staff, context=context)
    drop_audit_triggers()
    raw("UPDATE engine_auditevent SET user_agent = %s WHERE id = %s", [stored, event_id(ticket, 2)])
    python, database = _both()
    assert database == python
    assert [(f["reference"], f["seq"], f["code"]) for f in database["failures"]] == [
        (ticket.reference, 2, "hash_mismatch")
    ]


def _tickets(staff, count: int, rounds) -> list:
    """``count`` tickets, ticket n with ``rounds(n)`` ask/answer rounds after opening."""
    made = []
    for number in range(count):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff)
        for _ in range(rounds(number)):
            engine.run(ticket, "ask", actor=staff, data={"note": "Which floor?"})
            engine.run(ticket, "answer", actor=staff, data={"note": "Third"})
        made.append(ticket)
    return made


def _forge_committed(tickets) -> None:
    """Rename the second event of ``tickets``, committed for other connections and processes to see
    (the append-only triggers are passed by for that transaction only, not dropped as rolled-back
    tests do)."""
    with transaction.atomic():
        raw("SET LOCAL session_replication_role = replica")
        for ticket in tickets:
            raw("UPDATE engine_auditevent SET action = 'forged' WHERE id = %s", [event_id(ticket, 2)])


@pytest.mark.django_db(transaction=True)
def test_parallel_ranges_split_by_events_and_judge_like_python(staff, monkeypatch):
    # given tickets with 1 to 9 events each, two of them tampered, far apart
    made = _tickets(staff, 12, lambda number: number % 3 * 2)
    _forge_committed([made[1], made[10]])
    # when the history is verified in three ranges at once, each on its own connection
    monkeypatch.setattr(audit_sql, "PARALLEL_ABOVE", 0)
    ranges = audit.case_ranges(Ticket, 3)
    events = [AuditEvent.objects.filter(case_id__range=bounds, case_type="sample.ticket").count() for bounds in ranges]
    python = verify_all(method="python").as_dict()
    database = verify_all(method="database", workers=3).as_dict()
    # then the ranges cover every case once, hold about as many events each, and the verdicts agree
    assert len(ranges) == 3 and ranges[0][0] == -(2**63) and ranges[-1][1] == 2**63 - 1
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(2))
    assert sum(events) == AuditEvent.objects.filter(case_type="sample.ticket").count()
    assert max(events) - min(events) <= 12
    assert database == python
    assert {f["reference"] for f in database["failures"]} == {made[1].reference, made[10].reference}


@pytest.mark.django_db(transaction=True)
def test_python_verifier_in_parallel_processes_reports_as_one_pass(staff, monkeypatch):
    # given tickets with 1 to 5 events each, two tampered, and a checkpoint naming a vanished chain
    made = _tickets(staff, 10, lambda number: number % 3)
    heads = verify_all(method="python", collect_heads=True, workers=1).heads
    _forge_committed([made[2], made[7]])
    checkpoint = {**heads, "sample.ticket:999999": {"seq": 1, "hash": "0" * 64, "reference": "TCK-GONE"}}
    monkeypatch.setattr(audit, "PYTHON_PARALLEL_ABOVE", 0)
    seen: list[int] = []
    # when the Python verifier runs in two processes, then in one
    results = {}
    for workers in (2, 1):
        progress = seen.append if workers == 2 else None
        with_heads = verify_all(method="python", collect_heads=True, workers=workers)
        held = verify_all(method="python", checkpoint=checkpoint, workers=workers)
        results[workers] = (with_heads.as_dict(), list(with_heads.heads.items()), held.as_dict())
        if progress is not None:
            verify_all(method="python", workers=workers, progress=progress)
    # then they name the same failures, heads in the same order, and the vanished chain
    assert results[2] == results[1]
    failures = results[2][0]["failures"]
    assert {f["reference"] for f in failures} == {made[2].reference, made[7].reference}
    assert "checkpoint_chain_missing" in {f["code"] for f in results[2][2]["failures"]}
    assert seen and seen[-1] == results[2][0]["events_checked"] and len(seen) > 2


def test_python_verifier_stays_in_one_process_inside_a_transaction(tickets, monkeypatch):
    monkeypatch.setattr(audit, "PYTHON_PARALLEL_ABOVE", 0)
    monkeypatch.setattr(audit._Verifier, "case_type_in_parallel", lambda *args: pytest.fail("forked in a transaction"))
    assert verify_all(method="python", workers=2).ok
