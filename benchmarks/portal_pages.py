#!/usr/bin/env python
"""What each main page of the web portal costs: SQL queries and server time, at demo-like size.

Builds a platform like the demo's (the people of every role, three organizations, the committee) and
walks ``--requests`` dialogue requests (default 60) through every stage with the domain's services,
so each has a real audit trail, clocks, votes, meetings, outcomes and follow-up. Then, through the
whole Django stack in-process (middleware, sessions, templates; no network), it requests every main
page as the person who uses it, ``--calls`` times (default 30), and prints the median and
95th-percentile server time and the SQL queries per page view.

    .venv/bin/python benchmarks/portal_pages.py                        # SQLite file in /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/portal_pages.py

It creates its own database (``bench_portal`` on PostgreSQL, a temporary file on SQLite) and drops it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _report import Figures, add_json_argument  # noqa: E402  (beside this file)

BENCH_DB = "bench_portal"


def _prepare_database() -> str | None:
    """Point Django at a fresh database; returns the admin URL to drop it afterwards (PostgreSQL)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="bench-portal-")) / "db.sqlite3")
        return None
    import psycopg
    from _scratch import scratch_name

    global BENCH_DB
    BENCH_DB = scratch_name(BENCH_DB, url)
    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{BENCH_DB}"))
    return admin


def _drop(admin: str | None) -> None:
    if admin is None:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def build(requests: int) -> tuple[object, list[object]]:
    """The demo-like platform: requests spread over every stage of the main path."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.workflows.partnership import conftest as domain
    from workflows.partnership import services

    world = domain.partnership_world._get_wrapped_function()(db=None)
    stages = [
        "draft",
        "submitted",
        "in_committee",
        "approved",
        "meeting_scheduled",
        "meeting_held",
        "outcome_documented",
        "follow_up",
        "closed",
    ]
    cases = []
    for index in range(requests):
        by = "ministry" if index % 3 == 0 else "cso"
        case = domain.walk(
            world, domain.draft(world, by=by, title=f"Dialogue {index + 1}"), stages[index % len(stages)]
        )
        if case.state == "follow_up" and not case.action_items.exists():
            services.action_item_create(
                request=case,
                actor=world.secretariat,
                description="Draft guidelines",
                owner_organization=world.ministry.pk,
                due_date="2027-06-30",
            )
        cases.append(case)
    return world, cases


def measure(client, url: str, calls: int, headers: dict[str, str] | None = None) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries, status = [], 0, 0
    for _ in range(calls):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, headers=headers or {})
            timings.append((time.perf_counter() - started) * 1000)
        queries, status = len(captured.captured_queries), response.status_code
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], queries, status


def pages(world, cases) -> list[tuple[str, object, str, dict[str, str] | None]]:
    from django.urls import reverse
    from django.utils import translation

    by_state = {case.state: case for case in cases}
    detail = by_state.get("follow_up") or cases[-1]
    closed = by_state.get("closed") or cases[-1]

    def en(route: str, **kwargs: object) -> str:
        with translation.override("en"):
            return reverse(route, kwargs=kwargs or None)

    def ar(route: str, **kwargs: object) -> str:
        with translation.override("ar"):
            return reverse(route, kwargs=kwargs or None)

    htmx = {"HX-Request": "true"}
    return [
        ("home, requester", world.cso_coordinator, en("portal:home"), None),
        ("home, secretariat (triage)", world.secretariat, en("portal:home"), None),
        ("home, committee member", world.gov[0], en("portal:home"), None),
        ("request page, secretariat", world.secretariat, en("portal:request_detail", reference=detail.reference), None),
        (
            "request page, requester (ar)",
            world.cso_coordinator,
            ar("portal:request_detail", reference=detail.reference),
            None,
        ),
        ("request body via htmx", world.secretariat, en("portal:request_detail", reference=closed.reference), htmx),
        (
            "action form via htmx",
            world.secretariat,
            en("portal:request_action", reference=detail.reference, name="close"),
            htmx,
        ),
        ("new request form", world.cso_coordinator, en("portal:request_create"), None),
        ("search, auditor", world.auditor, en("portal:search"), None),
        ("audit history, auditor", world.auditor, en("portal:search") + "?mode=history", None),
        ("dashboard, secretariat", world.secretariat, en("portal:dashboard"), None),
        ("notifications", world.secretariat, en("portal:notifications"), None),
        ("notification bell (htmx)", world.secretariat, en("portal:notifications_bell"), htmx),
        ("transparency portal, visitor", None, ar("portal:transparency"), None),
        ("published outcome, visitor", None, en("portal:transparency_detail", reference=closed.reference), None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--calls", type=int, default=30)
    add_json_argument(parser)
    args = parser.parse_args()
    figures = Figures("portal_pages", requests=args.requests, calls=args.calls)
    admin = _prepare_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False
    try:
        started = time.perf_counter()
        world, cases = build(args.requests)
        from engine.models import AuditEvent

        print(
            f"{connection.vendor}: {len(cases)} requests, {AuditEvent.objects.count()} audit events, "
            f"built in {time.perf_counter() - started:.0f} s; {args.calls} calls per page\n"
        )
        print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'status':>7}")
        clients: dict[object, Client] = {}
        for name, user, url, headers in pages(world, cases):
            client = clients.get(user)
            if client is None:
                client = clients[user] = Client()
                if user is not None:
                    client.force_login(user)
            median, p95, queries, status = measure(client, url, args.calls, headers)
            print(f"{name:34} {median:10.1f} {p95:8.1f} {queries:8d} {status:7d}")
            figures.add(f"{name}: median", median, "ms", status=status)
            figures.add(f"{name}: p95", p95, "ms", baseline=f"{name}: median")
            figures.add(f"{name}: queries", queries, "queries")
        figures.write(args.json)
    finally:
        _drop(admin)


if __name__ == "__main__":
    main()
