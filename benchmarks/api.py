#!/usr/bin/env python
"""The API's list and detail endpoints over 100,000 requests and 1,000,000 audit events (PostgreSQL).

Data is generated in bulk by PostgreSQL itself (INSERT ... SELECT over generate_series): 100,000
dialogue requests across 200 organizations and every state, one counterpart each, a meeting and an
outcome on the later ones, and 10 audit events per request. Then, through the whole Django stack
in-process (middleware, token authentication, DRF, serializers; no network), it measures:

- ``GET /api/v1/requests/?page_size=N`` for N = 10, 50, 100, as the secretariat (sees ~100,000) and
  as a CSO coordinator (sees ~1,000), and filtered by state;
- ``GET /api/v1/requests/{ref}/`` and ``GET /api/v1/requests/{ref}/history/`` on random requests;

each with median and 95th-percentile latency and SQL queries per call (which must not grow with
the page size), and, as the baseline measured in the same run, the same page read with one raw SQL
query through psycopg (its count and its rows), so the figures read as a ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/api.py [--calls 150]

It creates and drops its own database (``bench_api``); ``--keep`` keeps it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from _report import Figures, add_json_argument
from _scratch import scratch_database

BENCH_DB = "bench_api"
REQUESTS = 100_000
EVENTS_PER_REQUEST = 10
ORGANIZATIONS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=150, help="timed calls per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    add_json_argument(parser)
    args = parser.parse_args()
    figures = Figures("api", calls=args.calls)

    os.environ.setdefault("LANGUAGE_CODE", "en")
    # Deliver nothing: the benchmark reads, and generated rows must not wake the notification router.
    env = {"ENGINE_OUTBOX_ROUTER": "", "ENGINE_OUTBOX_DISPATCHER": ""}
    started = time.perf_counter()
    with scratch_database(BENCH_DB, keep=args.keep, env=env):
        people = generate()
        print(f"Data ready in {time.perf_counter() - started:.0f} s.\n", flush=True)
        measure(args, people, figures)
        figures.write(args.json)


# --- data -------------------------------------------------------------------------------------------


def _column_defaults(model, given: dict[str, str]) -> tuple[list[str], list[str]]:
    """Columns and SQL expressions for every concrete field: ``given`` ones, else a neutral default.

    Generic over the model so a field added later still gets a value (its default, '' or NULL).
    """
    from django.db import models

    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        if column in given:
            expression = given[column]
        elif field.null:
            expression = "NULL"
        elif field.has_default() and not callable(field.default):
            default = field.default
            expression = f"'{default}'" if isinstance(default, str) else str(default).lower()
        elif isinstance(field, models.BooleanField):
            expression = "false"
        elif isinstance(field, models.CharField | models.TextField):
            expression = "''"
        elif isinstance(field, models.JSONField):
            expression = "'{}'::jsonb"
        elif isinstance(field, models.DateTimeField):
            expression = "now()"
        else:
            raise SystemExit(f"benchmark: no value for {model.__name__}.{field.name}")
        columns.append(column)
        expressions.append(expression)
    return columns, expressions


def generate() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from engine.models import AuditEvent
    from partners.models import CommitteeSeat, Membership, Organization, PlatformRole, Theme
    from workflows.partnership.flows import RequestFlow
    from workflows.partnership.models import DialogueRequest, Meeting, Outcome

    User = get_user_model()
    password = make_password("bench")
    secretariat = User.objects.create(username="bench-secretariat", password=password)
    PlatformRole.objects.create(user=secretariat, role=PlatformRole.Role.SECRETARIAT)
    organizations = Organization.objects.bulk_create(
        [
            Organization(
                side="public" if index % 2 else "civil",
                kind="ministry" if index % 2 else "cso",
                name=f"Organization {index:03d}",
                name_ar=f"الجهة {index:03d}",
                acronym=f"ORG{index}",
            )
            for index in range(ORGANIZATIONS)
        ]
    )
    coordinator = User.objects.create(username="bench-cso", password=password)
    Membership.objects.create(user=coordinator, organization=organizations[0], role=Membership.Role.COORDINATOR)
    auditor = User.objects.create(username="bench-auditor", password=password)
    PlatformRole.objects.create(user=auditor, role=PlatformRole.Role.AUDITOR)
    # A civil-society seat whose holder is also a member of a CSO: sees every non-draft request OR its own drafts.
    committee_member = User.objects.create(username="bench-committee", password=password)
    CommitteeSeat.objects.create(user=committee_member, side="civil", organization=organizations[2])
    Membership.objects.create(user=committee_member, organization=organizations[2], role=Membership.Role.MEMBER)
    org_ids = [org.pk for org in organizations]
    theme_ids = list(Theme.objects.values_list("pk", flat=True))
    states = list(RequestFlow.state_labels)
    year = 2026

    print(f"Generating {REQUESTS:,} requests and {REQUESTS * EVENTS_PER_REQUEST:,} audit events ...", flush=True)
    t0 = time.perf_counter()
    # Series number n gives every attribute: its organizations, theme, state, dates.
    given = {
        "reference": f"'DR-{year}-' || lpad(n::text, 6, '0')",
        "state": f"(ARRAY[{', '.join(repr(s) for s in states)}])[1 + n % {len(states)}]",
        "version": "10",
        "audit_seq": str(EVENTS_PER_REQUEST),
        "audit_hash": "md5(n::text) || md5((n + 1)::text)",
        "created_at": f"now() - make_interval(mins => {REQUESTS} - n)",
        "updated_at": f"now() - make_interval(mins => {REQUESTS} - n)",
        "title": "'Dialogue on policy question ' || n",
        "summary": "'A roundtable between a ministry and civil-society organizations, number ' || n",
        "theme_id": f"(ARRAY{theme_ids})[1 + n % {len(theme_ids)}]",
        "format": "'roundtable'",
        "requesting_organization_id": f"(ARRAY{org_ids})[1 + n % {len(org_ids)}]",
        "created_by_id": str(secretariat.pk),
        "language": "'both'",
        "submitted_at": "now()",
        "accepted_at": "now()",
    }
    columns, expressions = _column_defaults(DialogueRequest, given)
    table = DialogueRequest._meta.db_table
    through = DialogueRequest.counterpart_organizations.through
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM generate_series(1, {REQUESTS}) AS n"
        )
        # One counterpart on the other side (the next organization in the list).
        cursor.execute(
            f"INSERT INTO {through._meta.db_table} (dialoguerequest_id, organization_id) "
            f"SELECT r.id, (ARRAY{org_ids})[1 + (r.id + 1) % {len(org_ids)}] FROM {table} r"
        )
        event_given = {
            "case_type": "'partnership.dialoguerequest'",
            "case_id": "r.id",
            "case_reference": "r.reference",
            "seq": "s",
            "occurred_at": "r.created_at + make_interval(hours => s)",
            "actor_id": str(secretariat.pk),
            "actor_label": "'bench-secretariat'",
            "actor_role": "'secretariat'",
            "action": "'bench_step_' || s",
            "from_state": "'submitted'",
            "to_state": "r.state",
            "data": """jsonb_build_object('message', 'Step ' || s || ' of the dialogue', 'round', s)""",
            "prev_hash": "md5(r.id::text || (s - 1)::text) || md5((s - 1)::text)",
            "hash": "md5(r.id::text || s::text) || md5(s::text)",
        }
        columns, expressions = _column_defaults(AuditEvent, event_given)
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {table} r CROSS JOIN generate_series(1, {EVENTS_PER_REQUEST}) AS s"
        )
        # Requests past the meeting have one (held); past the outcome, a public outcome.
        later = ["meeting_held", "outcome_documented", "follow_up", "closed"]
        in_states = ", ".join(repr(s) for s in later)
        meeting_given = {
            "request_id": "r.id",
            "uid": "r.reference || '@bench'",
            "starts_at": "r.created_at",
            "ends_at": "r.created_at + interval '2 hours'",
            "location": "'Grand Serail, Beirut'",
            "agenda": "'1. Opening 2. Discussion 3. Recommendations'",
            "status": "'held'",
            "organizer_id": str(secretariat.pk),
        }
        columns, expressions = _column_defaults(Meeting, meeting_given)
        cursor.execute(
            f"INSERT INTO {Meeting._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {table} r WHERE r.state IN ({in_states})"
        )
        outcome_given = {
            "request_id": "r.id",
            "minutes": "'Minutes of the dialogue ' || r.reference",
            "summary": "'Agreement on next steps'",
            "recommendations": """'["Draft guidelines", "Train staff"]'::jsonb""",
            "what_changed": "'A written commitment'",
            "who_changed": "'The ministry'",
            "significance": "'First of its kind'",
            "contribution": "'Evidence from the field'",
            "evidence": "'Signed minutes'",
            "visibility": "'public'",
            "documented_by_id": str(secretariat.pk),
        }
        columns, expressions = _column_defaults(Outcome, outcome_given)
        cursor.execute(
            f"INSERT INTO {Outcome._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {table} r WHERE r.state IN ({in_states}) AND r.state <> 'meeting_held'"
        )
    # The steady state autovacuum keeps: statistics and visibility maps (index-only counts) up to date.
    with connection.cursor() as cursor:
        for name in (table, through._meta.db_table, AuditEvent._meta.db_table, Meeting._meta.db_table):
            cursor.execute(f"VACUUM ANALYZE {name}")
        cursor.execute(f"SELECT count(*) FROM {AuditEvent._meta.db_table}")
        events = cursor.fetchone()[0]
    print(f"  {REQUESTS:,} requests, {events:,} audit events in {time.perf_counter() - t0:.1f} s", flush=True)
    return {
        "secretariat": secretariat,
        "coordinator": coordinator,
        "auditor": auditor,
        "committee": committee_member,
        "organization": organizations[0],
    }


# --- measuring --------------------------------------------------------------------------------------


def _client(user):
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed_calls(label: str, calls: int, call) -> tuple[float, float, set[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for warm in range(5):
        call(warm)
    durations, queries = [], set()
    for index in range(calls):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = call(index)
            durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (label, response.status_code, response.content[:200])
        queries.add(len(captured))
    median, p95 = statistics.median(durations), _percentile(durations, 0.95)
    spread = "/".join(str(q) for q in sorted(queries))
    print(f"  {label:<58} median {median:7.1f} ms   p95 {p95:7.1f} ms   queries {spread}", flush=True)
    return median, p95, queries


def raw_page(page_size: int, calls: int) -> float:
    """The same page with one hand-written query for rows and one for the count (the floor)."""
    from django.db import connection

    sql_rows = """
        SELECT r.reference, r.state, r.title, r.summary, r.created_at, t.code, t.name, o.id, o.name, o.side,
               (SELECT array_agg(c.organization_id) FROM partnership_dialoguerequest_counterpart_organizations c
                 WHERE c.dialoguerequest_id = r.id)
          FROM partnership_dialoguerequest r
          JOIN partners_theme t ON t.id = r.theme_id
          JOIN partners_organization o ON o.id = r.requesting_organization_id
         WHERE r.state <> 'draft'
         ORDER BY r.id DESC LIMIT %s OFFSET %s"""
    durations = []
    with connection.cursor() as cursor:
        for index in range(calls + 5):
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM partnership_dialoguerequest r WHERE r.state <> 'draft'")
            cursor.fetchone()
            cursor.execute(sql_rows, [page_size, (index % 5) * page_size])
            cursor.fetchall()
            if index >= 5:
                durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def measure(args: argparse.Namespace, people: dict, figures: Figures) -> None:
    from workflows.partnership.models import DialogueRequest

    secretariat, coordinator = _client(people["secretariat"]), _client(people["coordinator"])
    visible_to_coordinator = DialogueRequest.objects.filter(requesting_organization=people["organization"]).count()
    rng = random.Random(2026)
    references = list(
        DialogueRequest.objects.exclude(state="draft").order_by("?").values_list("reference", flat=True)[:500]
    )

    print(f"List, as the secretariat (sees ~{REQUESTS:,}), first pages:")
    results = {}
    for size in (10, 50, 100):
        results[size] = timed_calls(
            f"GET /requests/?page_size={size}",
            args.calls,
            lambda index, size=size: secretariat.get("/api/v1/requests/", {"page_size": size, "page": 1 + index % 5}),
        )
        floor = raw_page(size, args.calls)
        figures.add(f"raw SQL page_size={size}: median", floor, "ms")
        figures.add(
            f"secretariat page_size={size}: median",
            results[size][0],
            "ms",
            baseline=f"raw SQL page_size={size}: median",
        )
        figures.add(
            f"secretariat page_size={size}: p95", results[size][1], "ms", baseline=f"raw SQL page_size={size}: median"
        )
        print(
            f"  {'   raw SQL, same page (count + rows), for comparison':<58} median {floor:7.1f} ms"
            f"   ratio {results[size][0] / floor:5.1f}x"
        )
    for size in (10, 100):
        median, p95, _q = timed_calls(
            f"GET /requests/?state=in_committee&page_size={size}",
            args.calls,
            lambda index, size=size: secretariat.get("/api/v1/requests/", {"state": "in_committee", "page_size": size}),
        )
        figures.add(
            f"secretariat state filter page_size={size}: p95", p95, "ms", baseline=f"raw SQL page_size={size}: median"
        )
    print(f"\nList, as a CSO coordinator (own organization's {visible_to_coordinator:,} plus counterpart ones):")
    for size in (10, 50, 100):
        median, p95, coordinator_queries = timed_calls(
            f"GET /requests/?page_size={size}",
            args.calls,
            lambda index, size=size: coordinator.get("/api/v1/requests/", {"page_size": size}),
        )
        figures.add(f"coordinator page_size={size}: median", median, "ms", baseline=f"raw SQL page_size={size}: median")
        figures.add(f"coordinator page_size={size}: p95", p95, "ms", baseline=f"raw SQL page_size={size}: median")
        figures.add(f"coordinator page_size={size}: queries", max(coordinator_queries), "queries")
    pages = max(1, visible_to_coordinator // 10)
    deep = min(100, pages)
    median, p95, _q = timed_calls(
        f"GET /requests/?page_size=10&page={deep} (deep page)",
        args.calls,
        lambda index: coordinator.get("/api/v1/requests/", {"page_size": 10, "page": deep}),
    )
    figures.add(f"coordinator page_size=10 page={deep}: p95", p95, "ms", baseline="raw SQL page_size=10: median")
    for role, label in (("committee", "a committee member (also a CSO member)"), ("auditor", "an auditor")):
        client = _client(people[role])
        print(f"\nList, as {label}:")
        for size in (10, 50, 100):
            median, p95, role_queries = timed_calls(
                f"GET /requests/?page_size={size}",
                args.calls,
                lambda index, size=size, client=client: client.get(
                    "/api/v1/requests/", {"page_size": size, "page": 1 + index % 5}
                ),
            )
            figures.add(f"{role} page_size={size}: median", median, "ms", baseline=f"raw SQL page_size={size}: median")
            figures.add(f"{role} page_size={size}: p95", p95, "ms", baseline=f"raw SQL page_size={size}: median")
            figures.add(f"{role} page_size={size}: queries", max(role_queries), "queries")
    print("\nDetail and history, random requests, as the secretariat:")
    _m, p95, _q = timed_calls(
        "GET /requests/{ref}/",
        args.calls,
        lambda index: secretariat.get(f"/api/v1/requests/{rng.choice(references)}/"),
    )
    figures.add("detail: p95", p95, "ms")
    _m, p95, _q = timed_calls(
        "GET /requests/{ref}/history/ (10 events)",
        args.calls,
        lambda index: secretariat.get(f"/api/v1/requests/{rng.choice(references)}/history/"),
    )
    figures.add("history: p95", p95, "ms")
    _m, p95, _q = timed_calls(
        "GET /requests/{ref}/transitions/",
        args.calls,
        lambda index: secretariat.get(f"/api/v1/requests/{rng.choice(references)}/transitions/"),
    )
    figures.add("transitions: p95", p95, "ms")
    queries = {size: results[size][2] for size in results}
    figures.add("list queries constant across page sizes", float(len({frozenset(q) for q in queries.values()}) == 1))
    verdict = "constant" if len({frozenset(q) for q in queries.values()}) == 1 else "GROWS"
    print(f"\nQueries per list call by page size {dict((k, sorted(v)) for k, v in queries.items())}: {verdict}.")


if __name__ == "__main__":
    main()
