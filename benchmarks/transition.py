#!/usr/bin/env python
"""Transition throughput on PostgreSQL: raw psycopg vs a bare ORM loop vs the full engine.

All three run on the same cases in one run, toggling tickets open ⇄ resolved, and each writes a
lock, the case update, a hash-chained audit event, an SLA clock update and an outbox row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/transition.py [--cases 100] [--rounds 10]

It creates and drops its own database (``bench_transition``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

from _report import Figures, add_json_argument
from _scratch import scratch_database

BENCH_DB = "bench_transition"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10, help="open→resolved→open cycles per case and method")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    add_json_argument(parser)
    args = parser.parse_args()

    # One outbox row per transition, like the baselines; no dispatch (nothing to deliver to).
    env = {"ENGINE_OUTBOX_ROUTER": "engine.outbox.default_router", "ENGINE_OUTBOX_DISPATCHER": ""}
    os.environ.pop("REDIS_URL", None)
    with scratch_database(BENCH_DB, keep=args.keep, env=env):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    import engine
    from engine import audit
    from engine.audit import jsonable
    from engine.models import AuditEvent, OutboxMessage, SlaClock, SlaPolicy
    from workflows.sample.models import Ticket

    user = get_user_model().objects.create_user("bench", is_staff=True)
    SlaPolicy.objects.create(flow="sample.ticket", state="open", allowance_days=5, owner="staff")
    tickets = [engine.create_case(Ticket, actor=user, title=f"Ticket {i}", owner=user) for i in range(args.cases)]
    for ticket in tickets:
        engine.run(ticket, "open", actor=user)
    ids = [t.pk for t in tickets]
    by_id = {t.pk: t for t in tickets}

    def next_event(case_id: int, seq: int, prev: str, reference: str, action: str, src: str, dst: str) -> dict:
        fields = {
            "case_type": "sample.ticket",
            "case_id": case_id,
            "case_reference": reference,
            "seq": seq,
            "occurred_at": None,
            "actor": user.pk,
            "actor_label": user.username,
            "actor_role": "staff",
            "action": action,
            "from_state": src,
            "to_state": dst,
            "data": {},
            "ip_address": None,
            "user_agent": "",
        }
        return fields

    # --- 1. raw psycopg on Django's connection (no ORM) ------------------------------------
    def raw_cycle() -> int:
        statements = 0
        raw = connection.connection  # the psycopg connection underneath
        for case_id in ids:
            for action, src, dst in (("resolve", "open", "resolved"), ("reopen", "resolved", "open")):
                with raw.transaction():
                    cur = raw.cursor()
                    cur.execute(
                        "SELECT reference, state, version, audit_seq, audit_hash FROM sample_ticket WHERE id = %s FOR UPDATE",
                        [case_id],
                    )
                    reference, state, version, seq, prev = cur.fetchone()
                    now = timezone.now()
                    fields = next_event(case_id, seq + 1, prev, reference, action, src, dst)
                    fields["occurred_at"] = audit._utc_iso(now)
                    digest = hashlib.sha256(prev.encode() + audit.canonical(fields)).hexdigest()
                    cur.execute(
                        "UPDATE sample_ticket SET state = %s, version = %s, audit_seq = %s, audit_hash = %s, updated_at = %s WHERE id = %s",
                        [dst, version + 1, seq + 1, digest, now, case_id],
                    )
                    cur.execute(
                        "INSERT INTO engine_auditevent (case_type, case_id, case_reference, seq, occurred_at, actor_id, "
                        "actor_label, actor_role, action, from_state, to_state, data, ip_address, user_agent, prev_hash, hash) "
                        "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                        [
                            "sample.ticket",
                            case_id,
                            reference,
                            seq + 1,
                            now,
                            user.pk,
                            user.username,
                            "staff",
                            action,
                            src,
                            dst,
                            "{}",
                            None,
                            "",
                            prev,
                            digest,
                        ],
                    )
                    cur.execute(
                        "UPDATE engine_slaclock SET stopped_at = %s, status = 'stopped' "
                        "WHERE case_type = 'sample.ticket' AND case_id = %s AND stopped_at IS NULL AND paused_at IS NULL",
                        [now, case_id],
                    )
                    cur.execute(
                        "INSERT INTO engine_outboxmessage (created_at, event, case_type, case_id, case_reference, audit_seq, "
                        "channel, payload, dedupe_key, status, attempts, last_error) "
                        "VALUES (%s,%s,%s,%s,%s,%s,'event',%s,%s,'pending',0,'')",
                        [
                            now,
                            action,
                            "sample.ticket",
                            case_id,
                            reference,
                            seq + 1,
                            json.dumps({"to_state": dst}),
                            f"sample.ticket:{case_id}:{seq + 1}:{action}",
                        ],
                    )
                    statements += 5
        return statements

    # --- 2. a bare Django ORM loop doing the same statements --------------------------------
    def orm_cycle() -> int:
        for case_id in ids:
            for action, src, dst in (("resolve", "open", "resolved"), ("reopen", "resolved", "open")):
                with transaction.atomic():
                    ticket = Ticket.objects.select_for_update().get(pk=case_id)
                    now = timezone.now()
                    event = AuditEvent(
                        case_type="sample.ticket",
                        case_id=case_id,
                        case_reference=ticket.reference,
                        seq=ticket.audit_seq + 1,
                        occurred_at=now,
                        actor=user,
                        actor_label=user.username,
                        actor_role="staff",
                        action=action,
                        from_state=src,
                        to_state=dst,
                        data={},
                        prev_hash=ticket.audit_hash,
                    )
                    event.hash = audit.compute_hash(event.prev_hash, audit.event_fields(event))
                    ticket.state, ticket.version = dst, ticket.version + 1
                    ticket.audit_seq, ticket.audit_hash, ticket.updated_at = event.seq, event.hash, now
                    ticket.save()
                    event.save()
                    SlaClock.objects.filter(
                        case_type="sample.ticket", case_id=case_id, stopped_at__isnull=True, paused_at__isnull=True
                    ).update(stopped_at=now, status="stopped")
                    OutboxMessage.objects.create(
                        event=action,
                        case_type="sample.ticket",
                        case_id=case_id,
                        case_reference=ticket.reference,
                        audit_seq=event.seq,
                        payload=jsonable({"to_state": dst}),
                        dedupe_key=f"sample.ticket:{case_id}:{event.seq}:{action}",
                    )
        return 0

    # --- 3. the engine's full transition ------------------------------------------------------
    def engine_cycle() -> int:
        # engine.run locks and re-reads the row itself and refreshes the caller's instance in place.
        for ticket in by_id.values():
            engine.run(ticket, "resolve", actor=user)
            engine.run(ticket, "reopen", actor=user, data={"note": "again"})
        return 0

    methods = [("raw psycopg", raw_cycle), ("bare ORM", orm_cycle), ("engine", engine_cycle)]
    transitions_per_round = len(ids) * 2
    totals = {name: 0.0 for name, _ in methods}
    queries = {name: 0 for name, _ in methods}
    # Warm up each path once, then interleave rounds so drift hits every method alike.
    for _, cycle in methods:
        cycle()
    for round_no in range(args.rounds):
        for name, cycle in methods:
            # The query log is a bounded deque: empty it so each round is counted in full.
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                raw_count = cycle()
                totals[name] += time.perf_counter() - started
            counted = raw_count or sum(
                1
                for q in captured.captured_queries
                if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
            )
            queries[name] += counted
        print(f"  round {round_no + 1}/{args.rounds}", end="\r", flush=True, file=sys.stderr)

    total_transitions = transitions_per_round * args.rounds
    rate = {name: total_transitions / totals[name] for name in totals}
    print(f"\n{args.cases} cases x {args.rounds} rounds x 2 transitions = {total_transitions} transitions per method\n")
    print(f"{'method':<14}{'transitions/s':>15}{'SQL/transition':>16}{'vs raw':>9}{'vs ORM':>9}")
    for name, _ in methods:
        print(
            f"{name:<14}{rate[name]:>15.0f}{queries[name] / total_transitions:>16.2f}"
            f"{rate[name] / rate['raw psycopg']:>9.2f}{rate[name] / rate['bare ORM']:>9.2f}"
        )
    ok = rate["engine"] / rate["bare ORM"] >= 1.0 and queries["engine"] / total_transitions < 5
    print(f"\ngoal (engine >= 1.0x bare ORM, fewer SQL than its 5): {'met' if ok else 'NOT met'}")
    report = audit.verify_all()
    print(f"audit chains verify: {report.ok} ({report.events_checked} events)")
    figures = Figures("transition", cases=args.cases, rounds=args.rounds)
    for name, _ in methods:
        figures.add(f"{name}: transitions/s", rate[name], "transitions/s")
        figures.add(f"{name}: SQL/transition", queries[name] / total_transitions, "queries")
    figures.add("engine vs bare ORM", rate["engine"], "transitions/s", baseline="bare ORM: transitions/s")
    figures.add("engine vs raw psycopg", rate["engine"], "transitions/s", baseline="raw psycopg: transitions/s")
    figures.add("audit chains verify", float(report.ok))
    figures.write(args.json)


if __name__ == "__main__":
    main()
