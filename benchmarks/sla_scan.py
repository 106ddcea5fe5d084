#!/usr/bin/env python
"""SLA scan over many open clocks on PostgreSQL, against one raw UPDATE; business-day arithmetic speed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/sla_scan.py [--clocks 10000]

A third of the clocks are due for a warning, a third for a breach, a third untouched. The baseline is
one raw ``UPDATE … WHERE due_at <= at`` over the same table, measured in the same run. Every timed
run is rolled back, so each starts from the same state. It creates and drops its own database
(``bench_sla_scan``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from _report import Figures, add_json_argument
from _scratch import scratch_database

BENCH_DB = "bench_sla_scan"
BEIRUT = ZoneInfo("Asia/Beirut")


class _Rollback(Exception):
    pass


def _timed(func, repeats: int) -> tuple[float, object]:
    """Median seconds of ``func`` over ``repeats`` runs, each in a transaction rolled back afterwards."""
    from django.db import transaction

    times, result = [], None
    for _ in range(repeats):
        try:
            with transaction.atomic():
                started = time.perf_counter()
                result = func()
                times.append(time.perf_counter() - started)
                raise _Rollback
        except _Rollback:
            pass
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    add_json_argument(parser)
    args = parser.parse_args()

    # One outbox row per event (no per-recipient expansion) and no dispatch: the scan's own cost.
    env = {"ENGINE_OUTBOX_ROUTER": "engine.outbox.default_router", "ENGINE_OUTBOX_DISPATCHER": ""}
    os.environ.pop("REDIS_URL", None)
    with scratch_database(BENCH_DB, keep=args.keep, env=env):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engine import calendar, sla
    from engine.models import SlaPolicy

    policy = SlaPolicy.objects.create(flow="sample.ticket", state="open", allowance_days=5, owner="staff")
    at = datetime(2026, 11, 27, 16, tzinfo=BEIRUT)
    started = datetime(2026, 11, 20, 11, tzinfo=BEIRUT)
    # Generated in the database (a million model instances would take longer than the scan).
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO engine_slaclock (case_type, case_id, case_reference, policy_id, state, owner, status,
                   started_at, running_since, allowance_seconds, consumed_seconds, warn_at, due_at)
               SELECT 'sample.ticket', n, 'TCK-2026-' || lpad(n::text, 7, '0'), %(policy)s, 'open', 'staff',
                      'on_track', %(started)s, %(started)s, 45 * 3600, 0,
                      CASE WHEN n %% 3 IN (1, 2) THEN %(at)s - interval '1 hour' ELSE %(at)s + interval '2 days' END,
                      CASE WHEN n %% 3 = 1 THEN %(at)s - interval '1 minute' ELSE %(at)s + interval '3 days' END
                 FROM generate_series(1, %(count)s) AS n""",
            {"policy": policy.pk, "started": started, "at": at, "count": args.clocks},
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE engine_slaclock")
    print(f"{args.clocks} open clocks; scanning as of {at.isoformat()}", flush=True)

    def raw_update() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE engine_slaclock SET status = 'breached', breached_at = %s "
                "WHERE stopped_at IS NULL AND paused_at IS NULL AND due_at <= %s",
                [at, at],
            )
            return cursor.rowcount

    def full_scan() -> sla.ScanResult:
        return sla.scan(at)

    def counted_scan() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            sla.scan(at)
        return [query["sql"].split(None, 1)[0] for query in captured.captured_queries]

    def marking_only() -> int:
        # The scan's marking statement alone (both rules, one UPDATE), without the outbox rows.
        return sla.mark_only(at)

    raw_seconds, raw_rows = _timed(raw_update, args.repeats)
    scan_seconds, result = _timed(full_scan, args.repeats)
    marking_seconds, _ = _timed(marking_only, args.repeats)
    _, statements = _timed(counted_scan, 1)
    queries = f"{len(statements)} statements: {' '.join(statements)}"

    # A second scan right after the first: nothing left to do.
    def scan_twice() -> tuple[sla.ScanResult, float]:
        sla.scan(at)
        begin = time.perf_counter()
        again = sla.scan(at)
        return again, time.perf_counter() - begin

    _, (again, again_seconds) = _timed(scan_twice, 1)

    # The real rhythm: a scan commits, the table is vacuumed (autovacuum), the next scan finds nothing.
    sla.scan(at)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE engine_slaclock")
    begin = time.perf_counter()
    idle = sla.scan(at)
    idle_seconds = time.perf_counter() - begin
    print(f"raw UPDATE (baseline):     {raw_seconds * 1000:8.1f} ms  ({raw_rows} rows)")
    print(
        f"sla.scan():                {scan_seconds * 1000:8.1f} ms  ({result.warned} warned, {result.breached} "
        f"breached, {result.escalated} escalated)  ratio {scan_seconds / raw_seconds:.1f}x"
    )
    print(f"  of which marking only:    {marking_seconds * 1000:8.1f} ms  ratio {marking_seconds / raw_seconds:.1f}x")
    print(f"  {queries}")
    print(f"second scan (idempotent):  {again_seconds * 1000:8.1f} ms  ({again.warned + again.breached} changes)")
    print(f"idle scan after commit and vacuum: {idle_seconds * 1000:8.1f} ms  ({idle.warned + idle.breached} changes)")
    figures = Figures("sla_scan", clocks=args.clocks, repeats=args.repeats)
    figures.add("raw UPDATE", raw_seconds * 1000, "ms", rows=raw_rows)
    figures.add("sla.scan", scan_seconds * 1000, "ms", baseline="raw UPDATE", warned=result.warned,
                breached=result.breached, escalated=result.escalated)  # fmt: skip
    figures.add("sla.scan marking only", marking_seconds * 1000, "ms", baseline="raw UPDATE")
    figures.add("sla.scan statements", len(statements), "statements")
    figures.add(
        "idle re-scan", again_seconds * 1000, "ms", baseline="raw UPDATE", changes=again.warned + again.breached
    )
    figures.add("idle scan after commit and vacuum", idle_seconds * 1000, "ms", changes=idle.warned + idle.breached)

    # Business-day arithmetic, warm caches (what on_transition and the clock views pay).
    calendar.is_business_day(at.date())
    samples = [started + timedelta(hours=7 * n + 3) for n in range(500)]
    cases = [
        ("add_business_days(+10)", lambda s: calendar.add_business_days(s, 10)),
        ("business_seconds_between(30 days)", lambda s: calendar.business_seconds_between(s, s + timedelta(days=30))),
        ("add_business_seconds(45 h)", lambda s: calendar.add_business_seconds(s, 45 * 3600)),
        ("business_days_between(1 year)", lambda s: calendar.business_days_between(s, s + timedelta(days=365))),
    ]
    for label, func in cases:
        loops = 4
        begin = time.perf_counter()
        for _ in range(loops):
            for sample in samples:
                func(sample)
        per_call = (time.perf_counter() - begin) / (loops * len(samples))
        print(f"{label:36s} {per_call * 1e6:8.1f} µs/call")
        figures.add(label, per_call * 1e6, "µs/call")
    figures.write(args.json)


if __name__ == "__main__":
    main()
