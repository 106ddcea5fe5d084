#!/usr/bin/env python
"""Notifications: what 20 recipients add to a transition, and how fast a worker delivers email.

1. Transition cost, ticket resolve ⇄ reopen on PostgreSQL, each variant in the same run:
   the engine's default router (one row, the baseline), notify's router with no recipient, with 20
   recipients (in-app + email, 41 rows), and with 20 recipients plus the after-commit hand-over
   of 40 tasks to Redis (what a web request really pays).
2. Delivery rate: a real ``celery -A config worker`` (prefork, 2 processes) sends email rows to a
   local SMTP sink (aiosmtpd, its own process), first with one SMTP connection per batch
   (``NOTIFY_CONNECTIONS=1``), then with the default connections side by side; compared with Django
   sending the same emails in one loop, in-process, to the same sink (the baseline: what the mail
   path alone costs).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python benchmarks/notify.py [--cycles 50] [--emails 400] [--skip-delivery]

It creates and drops its own database (``bench_notify``) and uses a queue of its own on Redis.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _report import Figures, add_json_argument
from _scratch import ROOT, scratch_database
from _services import Sink, free_port, wait_until

BENCH_DB = "bench_notify"
QUEUE = f"bench-notify-{os.getpid()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=50, help="resolve→reopen cycles per variant")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved runs of every variant")
    parser.add_argument("--emails", type=int, default=400, help="emails for the delivery-rate run")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--skip-delivery", action="store_true", help="measure the transition cost only (part 1)")
    add_json_argument(parser)
    args = parser.parse_args()
    figures = Figures("notify", cycles=args.cycles, rounds=args.rounds, emails=args.emails)

    if not os.environ.get("REDIS_URL"):
        sys.exit("This benchmark needs Redis: set REDIS_URL=redis://127.0.0.1:6379/<db>")
    with scratch_database(BENCH_DB, keep=args.keep, env={"NOTIFY_QUEUE": QUEUE}):
        try:
            people = setup_people()
            transition_cost(args, people, figures)
            if not args.skip_delivery:
                delivery_rate(args, people, figures)
            figures.write(args.json)
        finally:
            _purge_queue()


def setup_people() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from notify.models import ChannelPreference, UserSettings

    User = get_user_model()
    password = make_password("bench")
    staff = User.objects.create(username="bench-staff", is_staff=True, email="staff@example.org", password=password)
    crowd = User.objects.bulk_create(
        [
            User(username=f"member-{i}", email=f"member-{i}@example.org", password=password, is_staff=True)
            for i in range(20)
        ]
    )
    # A realistic mix: some chose a language, a few switched a channel off (they get in-app only).
    UserSettings.objects.bulk_create(
        [UserSettings(user=u, language="ar" if i % 2 else "en") for i, u in enumerate(crowd)]
    )
    ChannelPreference.objects.bulk_create([ChannelPreference(user=u, kind="close", email=False) for u in crowd[:2]])
    return {"staff": staff, "crowd": crowd}


def transition_cost(args: argparse.Namespace, people: dict, figures: Figures) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import engine
    from engine.models import OutboxMessage
    from notify import routing
    from workflows.sample.flows import TicketFlow
    from workflows.sample.models import Ticket

    staff, crowd = people["staff"], people["crowd"]
    # Routes are per case type; the crowd are staff, so the flow lets them read the events (the router
    # asks the flow's visibility for every recipient: that check is part of the measured cost).
    routing.register_routes(
        Ticket._meta.label_lower,
        {"resolve": (routing.Rule(("secretariat",), kind="close"),), "reopen": (routing.Rule(("secretariat",)),)},
    )
    audience: list = []
    TicketFlow.audience = lambda self, name: audience  # the people the ticket "flow" names
    tickets = [engine.create_case(Ticket, actor=staff, title=f"Ticket {i}", owner=staff) for i in range(20)]
    for ticket in tickets:
        engine.run(ticket, "open", actor=staff)

    def cycle() -> float:
        started = time.perf_counter()
        for _ in range(args.cycles // len(tickets) or 1):
            for ticket in tickets:
                engine.run(ticket, "resolve", actor=staff)
                engine.run(ticket, "reopen", actor=staff, data={"note": "again"})
        return time.perf_counter() - started

    transitions = 2 * len(tickets) * (args.cycles // len(tickets) or 1)
    variants = [
        ("default router (1 row), baseline", "engine.outbox.default_router", "", []),
        ("notify router, no recipient", "notify.routing.route_events", "", []),
        ("notify router, 20 recipients", "notify.routing.route_events", "", crowd),
        ("... + hand-over to Redis after commit", "notify.routing.route_events", "notify.tasks.dispatch_outbox", crowd),
    ]
    measured: dict[str, list[float]] = {label: [] for label, *_ in variants}
    shape: dict[str, tuple[float, float]] = {}
    # Rounds interleave the variants so that a burst of load on the machine hits them all alike.
    for _ in range(args.rounds):
        for label, router, dispatcher, recipients in variants:
            settings.ENGINE["OUTBOX_ROUTER"] = router
            settings.ENGINE["OUTBOX_DISPATCHER"] = dispatcher
            audience[:] = recipients
            if label not in shape:
                cycle()  # warm-up
                rows_before = OutboxMessage.objects.count()
                with CaptureQueriesContext(connection) as queries:
                    engine.run(tickets[0], "resolve", actor=staff)
                    engine.run(tickets[0], "reopen", actor=staff, data={"note": "again"})
                shape[label] = (len(queries) / 2, (OutboxMessage.objects.count() - rows_before) / 2)
            measured[label].append(cycle() / transitions)
    results = [(label, statistics.median(measured[label]), *shape[label]) for label, *_ in variants]
    baseline = results[0][1]
    print(f"\nTransition cost ({transitions} transitions per run, median of {args.rounds} interleaved runs)")
    print(f"{'variant':44} {'ms/transition':>14} {'queries':>8} {'rows':>6} {'vs baseline':>12}")
    for label, seconds, queries, rows in results:
        print(f"{label:44} {seconds * 1000:14.2f} {queries:8.1f} {rows:6.0f} {seconds / baseline:11.2f}x")
    for label, seconds, queries, rows in results:
        figures.add(f"{label}: ms/transition", seconds * 1000, "ms", baseline=f"{results[0][0]}: ms/transition",
                    queries=queries, rows=rows)  # fmt: skip
    extra = results[2][1] - results[1][1]
    figures.add("20 recipients add (router only)", extra * 1000, "ms")
    figures.add("20 recipients add (with hand-over)", (results[3][1] - results[1][1]) * 1000, "ms")
    figures.add("20 recipients vs one-row router", (results[2][1] - results[0][1]) * 1000, "ms")
    print(f"20 recipients add {extra * 1000:.2f} ms to a transition (router only), "
          f"{(results[3][1] - results[1][1]) * 1000:.2f} ms with the hand-over to Redis")  # fmt: skip


def delivery_rate(args: argparse.Namespace, people: dict, figures: Figures) -> None:
    from django.core.mail import EmailMultiAlternatives, get_connection

    from engine.models import OutboxMessage
    from notify import tasks

    port = free_port()
    sink = Sink(port, Path(os.environ.get("TMPDIR", "/tmp")) / f"{QUEUE}.tally")
    try:
        # Baseline: Django sending the same kind of email in-process, one SMTP connection each, like the worker.
        smtp = {"backend": "django.core.mail.backends.smtp.EmailBackend", "host": "127.0.0.1", "port": port}
        started = time.perf_counter()
        for i in range(args.emails // 4):
            email = EmailMultiAlternatives("Baseline", "Body " * 40, to=[f"member-{i % 20}@example.org"],
                                           connection=get_connection(**smtp))  # fmt: skip
            email.attach_alternative("<p>" + "Body " * 40 + "</p>", "text/html")
            email.send()
        raw_rate = (args.emails // 4) / (time.perf_counter() - started)

        # The real thing: email rows through a worker (the hand-overs of part 1 were never consumed).
        _purge_queue()
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(status=OutboxMessage.Status.SKIPPED)
        rows = list(
            OutboxMessage.objects.filter(channel="email", status=OutboxMessage.Status.SKIPPED)
            .order_by("-pk")
            .values_list("pk", flat=True)[: args.emails]
        )
        OutboxMessage.objects.filter(pk__in=rows).update(
            status=OutboxMessage.Status.PENDING, attempts=0, deliver_after=None, sent_at=None
        )
        env = {
            **os.environ,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        # The same rows twice through the same worker set-up: one connection per batch, then the default.
        runs = [("one connection per batch", "1"), (f"{_connections()} connections per batch", "")]
        results = []
        for label, connections in runs:
            OutboxMessage.objects.filter(pk__in=rows).update(
                status=OutboxMessage.Status.PENDING, attempts=0, deliver_after=None, sent_at=None
            )
            rate, sent = _worker_rate(rows, {**env, "NOTIFY_CONNECTIONS": connections}, sink, tasks)
            failed = OutboxMessage.objects.filter(pk__in=rows).exclude(status=OutboxMessage.Status.SENT).count()
            results.append((label, rate, sent, failed))
        print(f"\nDelivery rate ({len(rows) - 10} email rows, worker prefork x2, local SMTP sink)")
        print(f"{'Django in-process, one loop (baseline)':44} {raw_rate:10.1f} emails/s")
        figures.add("Django in-process, one loop", raw_rate, "emails/s")
        for label, rate, sent, failed in results:
            print(f"{'Celery worker, ' + label:44} {rate:10.1f} emails/s {rate / raw_rate:8.2f}x")
            print(f"  sink received {sent} emails for {len(rows) - 10} rows; rows not sent: {failed}")
            figures.add(f"Celery worker delivery, {label}", rate, "emails/s", baseline="Django in-process, one loop")
            figures.add(f"emails received by the sink, {label}", sent, "emails", rows=len(rows) - 10)
            figures.add(f"rows not sent, {label}", failed, "rows")
    finally:
        sink.stop()


def _connections() -> int:
    from notify import delivery

    return int(delivery.DEFAULTS["CONNECTIONS"])


def _worker_rate(rows: list[int], env: dict[str, str], sink: Sink, tasks) -> tuple[float, int]:  # noqa: ANN001
    """Emails per second a fresh ``celery -A config worker`` (prefork, 2 processes) delivers ``rows`` at."""
    from engine.models import OutboxMessage

    _purge_queue()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"{QUEUE}.log"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", QUEUE, "-P", "prefork", "-c", "2",
               "-l", "warning", "-n", f"{QUEUE}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    with log.open("wb") as out:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
    try:
        time.sleep(1.0)
        # Warm the worker processes (Django set-up, first connections) before timing.
        tasks.enqueue(rows[:10])
        pending = OutboxMessage.objects.filter(pk__in=rows, status=OutboxMessage.Status.PENDING)
        wait_until(lambda: pending.count() <= len(rows) - 10, 60)
        before = sink.count
        started = time.perf_counter()
        tasks.enqueue(rows[10:])
        wait_until(lambda: not pending.exists(), 300)
        elapsed = time.perf_counter() - started
        time.sleep(0.3)  # a late duplicate would show in the sink's count
        return (len(rows) - 10) / elapsed, sink.count - before
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
        log.unlink(missing_ok=True)


def _purge_queue() -> None:
    import redis

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in broker.scan_iter(match=f"*{QUEUE}*"):
        broker.delete(key)


if __name__ == "__main__":
    main()
