#!/usr/bin/env python
"""The secretariat's queue (/requests/) over many requests: server time and SQL queries of a page.

Builds the test world (people of every role), then bulk-writes ``--requests`` requests (default
100,000) across the open states with an open SLA clock each (a share breached, paused or with no
clock) and a share assigned — rows written directly, as a load test would, not through the engine.
Then, through the whole Django stack in-process, it asks for the first page of the queue as the
secretariat: the default urgency order, ``assignee=me``, ``waiting=me`` and ``sort=newest``.
The baseline, measured in the same run, is the page in plain newest-first order (no clock to
join): each figure's ratio to it is what the urgency order and the filters cost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/queue_page.py [--requests N]

It creates its own database (``bench_queue`` on PostgreSQL, a temporary file on SQLite) and drops it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import portal_pages  # noqa: E402  (beside this file: the scratch database and the timing helper)
from _report import Figures, add_json_argument  # noqa: E402  (beside this file)

portal_pages.BENCH_DB = "bench_queue"


def build(count: int):
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from engine.models import SlaClock, SlaPolicy
    from tests.workflows.partnership import conftest as domain
    from workflows.partnership.models import DialogueRequest

    world = domain.partnership_world._get_wrapped_function()(db=None)
    now = timezone.now()
    states = ["submitted", "in_committee", "approved", "meeting_scheduled", "meeting_held", "follow_up", "closed"]
    policies = {policy.state: policy for policy in SlaPolicy.objects.filter(flow=DialogueRequest.case_type())}
    batch = 5000
    for start in range(0, count, batch):
        rows = [
            DialogueRequest(
                reference=f"DR-2026-{index + 1:06d}",
                state=states[index % len(states)],
                title=f"Dialogue {index + 1}",
                summary="A request written for the benchmark.",
                theme=world.theme,
                format="roundtable",
                requesting_organization=world.cso,
                created_by=world.cso_coordinator,
                assignee=world.secretariat if index % 5 == 0 else None,
                created_at=now - dt.timedelta(minutes=index),
                updated_at=now - dt.timedelta(minutes=index),
            )
            for index in range(start, min(count, start + batch))
        ]
        made = DialogueRequest.objects.bulk_create(rows)
        clocks = []
        for offset, request in enumerate(made):
            index = start + offset
            policy = policies.get(request.state)
            if policy is None:
                continue
            breached = index % 11 == 0
            paused = index % 13 == 0
            clocks.append(
                SlaClock(
                    case_type=DialogueRequest.case_type(),
                    case_id=request.pk,
                    case_reference=request.reference,
                    policy=policy,
                    state=request.state,
                    owner=policy.owner,
                    status="breached" if breached else "on_track",
                    started_at=now - dt.timedelta(days=3),
                    allowance_seconds=5 * 8 * 3600,
                    consumed_seconds=3600 * (index % 30),
                    running_since=None if paused else now - dt.timedelta(days=3),
                    paused_at=now if paused else None,
                    due_at=None if paused else now + dt.timedelta(hours=(index % 200) - (100 if breached else 0)),
                )
            )
        SlaClock.objects.bulk_create(clocks)
    return world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print the slowest queries of the default page")
    add_json_argument(parser)
    args = parser.parse_args()
    figures = Figures("queue_page", requests=args.requests, calls=args.calls)
    admin = portal_pages._prepare_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse
    from django.utils import translation

    setup_test_environment()
    try:
        started = time.perf_counter()
        world = build(args.requests)
        print(f"built {args.requests} requests in {time.perf_counter() - started:.0f} s")
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        client = Client()
        client.force_login(world.secretariat)
        with translation.override("en"):
            base = reverse("portal:search")
        print(f"{'page':<34} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'vs newest':>10}")
        baseline = "sort=newest (baseline)"
        client.get(base)  # warm-up: the first call of the run pays for templates and caches
        for label, query in [
            (baseline, "?sort=newest"),
            ("urgency (default)", ""),
            ("assignee=me", "?assignee=me"),
            ("waiting=me", "?waiting=me"),
            ("state=submitted, urgency", "?state=submitted"),
        ]:
            median, p95, queries, status = portal_pages.measure(client, base + query, args.calls)
            assert status == 200, status
            figures.add(f"{label}: median", median, "ms", baseline=f"{baseline}: median" if label != baseline else None)
            figures.add(f"{label}: p95", p95, "ms")
            figures.add(f"{label}: queries", queries, "queries")
            ratio = figures.ratio(f"{label}: median") or 1.0
            print(f"{label:<34} {median:>10.1f} {p95:>8.1f} {queries:>8} {ratio:>9.2f}x")
        figures.write(args.json)
        if args.explain:
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                client.get(base)
            for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]:
                print(query["time"], query["sql"][:3000])
    finally:
        portal_pages._drop(admin)


if __name__ == "__main__":
    main()
