"""Many workers racing on one case: exactly one wins, nothing half-written, history verifies."""

from __future__ import annotations

from collections import Counter

import pytest

import engine
from engine.audit import verify_all
from engine.errors import ConcurrentChange, TransitionNotAllowedError
from engine.models import AuditEvent, OutboxMessage
from tests.concurrency import race
from workflows.sample.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


def test_racing_workers_on_one_transition_exactly_one_wins(make_user):
    # given a ticket every worker has loaded at version 0
    staff = make_user("staff", is_staff=True)
    ticket = engine.create_case(Ticket, actor=staff, title="Race", owner=staff)

    # when eight workers run the same transition at once, each from its own stale copy
    def attempt(_index: int) -> str:
        copy = Ticket.objects.get(pk=ticket.pk)
        engine.run(copy, "open", actor=staff)
        return "won"

    outcomes = race(attempt, WORKERS)

    # then exactly one succeeded and every other got a clear conflict, not a crash
    kinds = Counter(type(o).__name__ if isinstance(o, Exception) else o for o in outcomes)
    assert kinds["won"] == 1, outcomes
    assert set(kinds) <= {"won", "ConcurrentChange", "TransitionNotAllowedError"}, outcomes
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == ("open", 1)
    assert AuditEvent.objects.filter(case_id=ticket.pk, action="open").count() == 1
    assert OutboxMessage.objects.filter(case_id=ticket.pk, event="open").count() == 1
    assert verify_all().ok


def test_stale_copies_get_conflict_errors(make_user):
    # given every worker holds a copy loaded BEFORE the race
    staff = make_user("staff", is_staff=True)
    ticket = engine.create_case(Ticket, actor=staff, title="Race", owner=staff)
    copies = [Ticket.objects.get(pk=ticket.pk) for _ in range(WORKERS)]

    outcomes = race(lambda i: engine.run(copies[i], "open", actor=staff) and "won", WORKERS)

    assert sum(1 for o in outcomes if o == "won") == 1
    losers = [o for o in outcomes if o != "won"]
    assert losers and all(isinstance(o, ConcurrentChange) for o in losers), losers
    assert verify_all().ok


def test_concurrent_transitions_on_different_cases_all_succeed(make_user):
    staff = make_user("staff", is_staff=True)
    tickets = [engine.create_case(Ticket, actor=staff, title=f"T{i}", owner=staff) for i in range(WORKERS)]

    outcomes = race(lambda i: engine.run(tickets[i], "open", actor=staff).to_state, WORKERS)

    assert outcomes == ["open"] * WORKERS
    assert verify_all().ok


def test_concurrent_case_creation_gives_gap_free_references(make_user):
    staff = make_user("staff", is_staff=True)

    outcomes = race(lambda i: engine.create_case(Ticket, actor=staff, title=f"T{i}").reference, WORKERS)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    numbers = sorted(int(ref.rsplit("-", 1)[1]) for ref in outcomes)
    assert numbers == list(range(1, WORKERS + 1))


def test_non_transition_records_interleaved_with_transitions_keep_one_chain(make_user):
    staff = make_user("staff", is_staff=True)
    ticket = engine.create_case(Ticket, actor=staff, title="Mixed", owner=staff)
    engine.run(ticket, "open", actor=staff)

    def act(index: int) -> str:
        copy = Ticket.objects.get(pk=ticket.pk)
        if index == 0:
            try:
                engine.run(copy, "resolve", actor=staff)
            except (ConcurrentChange, TransitionNotAllowedError):
                return "lost"
            return "resolved"
        engine.record(copy, "comment", actor=staff, data={"n": index}, notify=False)
        return "recorded"

    outcomes = race(act, WORKERS)

    assert outcomes.count("recorded") == WORKERS - 1
    seqs = list(AuditEvent.objects.filter(case_id=ticket.pk).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_all().ok
