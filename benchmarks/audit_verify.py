#!/usr/bin/env python
"""Audit verification speed on PostgreSQL: the Python verifier (baseline) vs the in-database one.

Builds ``--cases`` tickets with ``--events`` events each (default 100,000 x 10 = 1,000,000 events),
hash-chained, set-based in SQL (one INSERT per step of every chain). Then verifies everything with
``verify_all(method="python")`` (every event streamed and hashed in Python) and with
``verify_all(method="database")`` (PostgreSQL's ``sha256()``), each in one pass and in ``--workers``
parallel ranges (processes for Python, connections for the database), in the same run, and prints
events/s and the peak Python memory of each (tracemalloc; of the parent process only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/audit_verify.py \\
        [--cases 100000] [--events 10] [--json PATH]

It creates and drops its own database (``bench_audit_verify``, prefixed like every scratch database).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

from _report import Figures, add_json_argument
from _scratch import scratch_database

BENCH_DB = "bench_audit_verify"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10, help="events per case")
    parser.add_argument("--skip-python", action="store_true", help="time the in-database verifier only")
    parser.add_argument("--workers", type=int, default=2, help="parallel ranges (connections, or processes in Python)")
    parser.add_argument("--calls", type=int, default=50, help="timed calls of GET /api/v1/audit/verify/")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    add_json_argument(parser)
    args = parser.parse_args()
    env = {"ENGINE_OUTBOX_ROUTER": "", "ENGINE_OUTBOX_DISPATCHER": ""}
    os.environ.pop("REDIS_URL", None)
    with scratch_database(BENCH_DB, keep=args.keep, env=env):
        from workflows.sample.models import Ticket

        # Tickets audit their title and note for this run: every event carries a digest, and
        # each verification also holds every ticket's live fields to its last event's digest.
        Ticket.audited_fields = ("title", "note")
        run(args)


def generate(cases: int, events: int) -> int:
    """``cases`` tickets, each with a valid chain of ``events`` events; returns the number of events."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from engine.audit_sql import _CANONICAL
    from engine.models import GENESIS_HASH

    user = get_user_model().objects.create(username="bench-staff", is_staff=True)
    states = ["new", "open", "waiting", "open", "resolved", "open"]
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO sample_ticket (id, reference, state, version, audit_seq, audit_hash, created_at,
                                          updated_at, title, note, owner_id)
               SELECT n, 'TCK-2026-' || lpad(n::text, 6, '0'), 'new', 0, 0, %s, now(), now(),
                      'Ticket ' || n, '', %s
                 FROM generate_series(1, %s) AS n""",
            [GENESIS_HASH, user.pk, cases],
        )
        cursor.execute("CREATE TEMP TABLE heads (case_id bigint PRIMARY KEY, hash varchar(64))")
        cursor.execute("INSERT INTO heads SELECT id, %s FROM sample_ticket", [GENESIS_HASH])
        for seq in range(1, events + 1):
            started = time.perf_counter()
            action = "create" if seq == 1 else f"step_{seq}"
            from_state = "" if seq == 1 else states[(seq - 2) % len(states)]
            to_state = states[(seq - 1) % len(states)]
            # Only the data varies from case to case; the hash is computed over the canonical form.
            canonical = _CANONICAL.replace("e.", "x.")
            # Every event carries the digest of the ticket's audited fields (title, note), as
            # engine.snapshot writes it: sha256 of {"case":{"note":"","title":"Ticket n"}}.
            cursor.execute(
                f"""
                WITH s AS (
                    SELECT t.*, '{{"case":{{"note":"","title":' || to_json(t.title)::text || '}}}}' AS snap
                      FROM sample_ticket t
                ), x AS (
                    SELECT 'sample.ticket'::varchar AS case_type, t.id AS case_id, t.reference AS case_reference,
                           %s::int AS seq, now() - interval '1 day' + %s * interval '1 minute' AS occurred_at,
                           %s::bigint AS actor_id, 'bench-staff'::varchar AS actor_label, 'staff'::varchar AS actor_role,
                           %s::varchar AS action, %s::varchar AS from_state, %s::varchar AS to_state,
                           jsonb_build_object('note', 'step ' || %s || ' of ' || t.reference, 'n', t.id) AS data,
                           '192.0.2.1'::inet AS ip_address, 'bench'::varchar AS user_agent, h.hash AS prev_hash,
                           encode(sha256(convert_to(t.snap, 'UTF8')), 'hex')::varchar AS digest,
                           t.snap::jsonb AS snapshot
                      FROM s t JOIN heads h ON h.case_id = t.id
                ), hashed AS (
                    INSERT INTO engine_auditevent (case_type, case_id, case_reference, seq, occurred_at, actor_id,
                        actor_label, actor_role, action, from_state, to_state, data, ip_address, user_agent,
                        prev_hash, digest, snapshot, hash)
                    SELECT x.*, encode(sha256(convert_to(x.prev_hash || {canonical}, 'UTF8')), 'hex') FROM x
                    RETURNING case_id, hash
                )
                UPDATE heads SET hash = hashed.hash FROM hashed WHERE heads.case_id = hashed.case_id
                """,  # noqa: S608 - the module's canonical expression; values are parameters
                [seq, seq, user.pk, action, from_state, to_state, seq],
            )
            print(f"  step {seq}/{events}: {time.perf_counter() - started:.1f} s", flush=True)
        cursor.execute(
            "UPDATE sample_ticket t SET audit_seq = %s, audit_hash = h.hash, state = %s FROM heads h "
            "WHERE h.case_id = t.id",
            [events, states[(events - 1) % len(states)]],
        )
        cursor.execute("ANALYZE engine_auditevent")
        cursor.execute("ANALYZE sample_ticket")
    return cases * events


def _timed_verify(method: str, workers: int) -> tuple[float, int, object]:
    """Seconds and report of one verification; then, separately, its peak Python memory at a smaller cost."""
    from engine.audit import verify_all

    started = time.perf_counter()
    report = verify_all(method=method, workers=workers)
    elapsed = time.perf_counter() - started
    # tracemalloc slows Python several times over: measured on its own run, not the timed one.
    tracemalloc.start()
    try:
        verify_all(method=method, workers=workers)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return elapsed, peak, report


def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    print(f"Generating {args.cases:,} cases x {args.events} events ...", flush=True)
    total = generate(args.cases, args.events)
    print(f"  {total:,} events in {time.perf_counter() - started:.0f} s\n", flush=True)
    figures = Figures("audit_verify", cases=args.cases, events_per_case=args.events, events=total)
    print(f"{'verifier':42} {'seconds':>9} {'events/s':>12} {'peak MiB':>9} {'ok':>4}")
    results = []
    if not args.skip_python:
        results.append(("Python, streamed (baseline)", "python", 1))
        results.append((f"Python, {args.workers} processes (SQLite's path)", "python", args.workers))
    results.append(("in the database (sha256), 1 connection", "database", 1))
    results.append((f"in the database, {args.workers} ranges in parallel", "database", args.workers))
    for label, method, workers in results:
        elapsed, peak, report = _timed_verify(method, workers)
        rate = report.events_checked / elapsed
        print(f"{label:42} {elapsed:9.2f} {rate:12,.0f} {peak / 2**20:9.2f} {report.ok!s:>4}", flush=True)
        assert report.events_checked == total and report.ok, report.as_dict()["failures"][:3]
        python_baseline = "Python, streamed (baseline)"
        baseline = f"{python_baseline}: events/s" if not args.skip_python and label != python_baseline else None
        figures.add(f"{label}: events/s", rate, "events/s", baseline=baseline)
        figures.add(f"{label}: seconds", elapsed, "s")
        figures.add(f"{label}: peak Python memory", peak / 2**20, "MiB")
    endpoint(figures, args.calls)
    figures.write(args.json)


def endpoint(figures: Figures, calls: int) -> None:
    """``GET /api/v1/audit/verify/`` once a background run has stored its result (what an auditor waits)."""
    import statistics

    from django.contrib.auth import get_user_model
    from django.test.utils import setup_test_environment
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from engine import tasks
    from partners.models import PlatformRole

    setup_test_environment()
    started = time.perf_counter()
    tasks.audit_verify_task()
    background = time.perf_counter() - started
    auditor = get_user_model().objects.create(username="bench-auditor")
    PlatformRole.objects.create(user=auditor, role=PlatformRole.Role.AUDITOR)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=auditor)[1]}")
    durations = []
    for index in range(calls + 5):
        begin = time.perf_counter()
        response = client.get("/api/v1/audit/verify/")
        if index >= 5:
            durations.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, response.content[:300]
    body = response.json()
    ordered = sorted(durations)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"\nbackground run (audit_verify_task): {background:.2f} s")
    print(f"GET /api/v1/audit/verify/ from the stored run: median {statistics.median(durations):.1f} ms, p95 {p95:.1f} ms "
          f"(events_checked {body['events_checked']:,}, age {body['age_seconds']:.1f} s)")  # fmt: skip
    figures.add("background verification run", background, "s")
    figures.add("GET /audit/verify/ median", statistics.median(durations), "ms")
    figures.add("GET /audit/verify/ p95", p95, "ms")


if __name__ == "__main__":
    main()
