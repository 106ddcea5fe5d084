#!/usr/bin/env python
"""The deployment shape under load: gunicorn with 1, 2 and 4 workers, 2 Celery workers, PostgreSQL, Redis.

A maintained load generator (locust, headless, 127.0.0.1 only) drives mixed traffic over HTTP —
coordinators drafting, submitting and reading requests through the API, the secretariat accepting
them (each acceptance notifies both parties) and reading the portal's queue and request pages, an
auditor reading the stored verification and histories, the public reading the transparency page and
the charter (see benchmarks/locustfile.py). For each web-worker count it reports throughput and
latency (median, p95), then checks what a secretariat would need to trust the figures:

- every audit chain verifies (``manage.py audit_verify`` on the same database);
- every notification row the run wrote is delivered exactly once: no row left pending or failed, and
  the local SMTP sink received exactly as many emails as rows were marked sent.

The baseline, measured in the same run, is one web worker: the other rows read as its multiple.

    .venv/bin/pip install -r requirements/bench.txt     # locust, kept out of the test tools
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python benchmarks/scale.py [--workers 1,2,4] [--users 24] [--seconds 40] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _report import Figures, add_json_argument
from _scratch import ROOT, scratch_database
from _services import Sink, free_port, wait_until

BENCH_DB = "bench_scale"
QUEUE = f"bench-scale-{os.getpid()}"
PASSWORD = "bench-scale-pass-2026"
LOGINS = ("cso-coordinator", "ministry-coordinator", "secretariat", "secretariat-lead", "auditor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="web worker counts to measure, comma-separated")
    parser.add_argument("--users", type=int, default=24, help="simultaneous locust users")
    parser.add_argument("--seconds", type=int, default=40, help="duration of each run")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    add_json_argument(parser)
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if not os.environ.get("REDIS_URL"):
        sys.exit("This benchmark needs Redis: set REDIS_URL=redis://127.0.0.1:6379/<db>")
    try:
        import locust  # noqa: F401
    except ImportError:
        sys.exit("This benchmark needs locust: .venv/bin/pip install -r requirements/bench.txt")

    figures = Figures("scale", users=args.users, seconds=args.seconds, workers=workers, cpus=os.cpu_count())
    with scratch_database(BENCH_DB, keep=args.keep, env={"NOTIFY_QUEUE": QUEUE}):
        tokens = prepare()
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
            run_all(args, workers, tokens, Path(scratch), figures)
    figures.write(args.json)


def prepare() -> dict[str, str]:
    """The demo's people and requests, and an API token for each login the load generator uses."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from knox.models import AuthToken

    print("Loading the demo data ...", flush=True)
    call_command("demo", password=PASSWORD, verbosity=0)
    users = get_user_model().objects.in_bulk(LOGINS, field_name="username")
    tokens = {login: AuthToken.objects.create(users[login])[1] for login in LOGINS}
    connections.close_all()
    return tokens


def service_env(sink_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink_port),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
    }


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def run_all(args: argparse.Namespace, workers: list[int], tokens: dict, scratch: Path, figures: Figures) -> None:
    sink_port = free_port()
    sink = Sink(sink_port, scratch / "sink.tally")
    env = service_env(sink_port)
    celery = [
        start(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                QUEUE,
                "-P",
                "prefork",
                "-c",
                "1",
                "-l",
                "warning",
                "-n",
                f"{QUEUE}-{i}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env,
            scratch / f"celery-{i}.log",
        )  # fmt: skip
        for i in (1, 2)
    ]
    tokens_file = scratch / "tokens.json"
    tokens_file.write_text(json.dumps(tokens))
    rows: list[dict] = []
    try:
        for count in workers:
            rows.append(run_one(args, count, env, sink, tokens_file, scratch))
    finally:
        for process in celery:
            stop(process)
        sink.stop()
    report(rows, figures, scratch)


def run_one(args: argparse.Namespace, count: int, env: dict, sink: Sink, tokens_file: Path, scratch: Path) -> dict:
    from django.db import connections

    from engine.models import OutboxMessage

    first_row = (OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    sink_before = sink.count
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"\n{count} web worker(s): gunicorn on {url}, {args.users} users for {args.seconds} s ...", flush=True)
    web = start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            str(count),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
        ],
        env,
        scratch / f"gunicorn-{count}.log",
    )
    try:
        wait_until(lambda: _answers(f"{url}/charter/"), 60)
        prefix = scratch / f"locust-{count}"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--host", url,
             "--csv", str(prefix), "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"],
            cwd=ROOT, env={**env, "SCALE_TOKENS": str(tokens_file), "SCALE_PASSWORD": PASSWORD},
            check=False, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        stop(web)

    # Delivery: wait for the workers to drain what this run wrote, then compare rows and received emails.
    written = OutboxMessage.objects.filter(pk__gte=first_row)
    wait_until(lambda: not written.filter(status=OutboxMessage.Status.PENDING).exists(), 180)
    by_status = {s: written.filter(status=s).count() for s in OutboxMessage.Status.values}
    emails_sent = written.filter(channel="email", status=OutboxMessage.Status.SENT).count()
    time.sleep(0.5)  # the sink writes its tally after answering 250
    received = sink.count - sink_before
    connections.close_all()

    verify = subprocess.run(
        [sys.executable, "manage.py", "audit_verify", "--json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    verified = json.loads(verify.stdout) if verify.stdout.strip().startswith("{") else {}
    stats = _aggregate(prefix.with_name(prefix.name + "_stats.csv"))
    return {
        "workers": count,
        **stats,
        "rows": sum(by_status.values()),
        "pending": by_status.get("pending", 0),
        "failed": by_status.get("failed", 0),
        "emails_sent": emails_sent,
        "emails_received": received,
        "chains_ok": verify.returncode == 0 and bool(verified.get("ok")),
        "cases_checked": verified.get("cases_checked", 0),
        "events_checked": verified.get("events_checked", 0),
    }


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _aggregate(stats_csv: Path) -> dict:
    with stats_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    writes = [row for row in rows if row["Type"] == "POST" and "sign-in" not in row["Name"]]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "median_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "writes": sum(int(row["Request Count"]) for row in writes),
        "write_p95_ms": max((float(row["95%"]) for row in writes), default=0.0),
    }


def report(rows: list[dict], figures: Figures, scratch: Path) -> None:
    print(
        f"\n{'web workers':>11} {'requests':>9} {'failed':>6} {'req/s':>8} {'ratio':>6} {'median':>7} "
        f"{'p95':>7} {'writes':>7} {'write p95':>9} {'notif. rows':>11} {'pending':>7} {'emails sent/received':>21} "
        f"{'chains':>7}"
    )
    baseline = None
    for row in rows:
        name = f"{row['workers']} web worker(s) throughput"
        if baseline is None:
            baseline = name
            figures.add(name, row["rps"], "requests/s")
        else:
            figures.add(name, row["rps"], "requests/s", baseline=baseline)
        figures.add(f"{row['workers']} web worker(s) p95", row["p95_ms"], "ms")
        figures.add(f"{row['workers']} web worker(s) write p95", row["write_p95_ms"], "ms")
        figures.add(f"{row['workers']} web worker(s) failures", row["failures"], "requests")
        figures.add(f"{row['workers']} web worker(s) undelivered", row["pending"] + row["failed"], "rows")
        figures.add(
            f"{row['workers']} web worker(s) emails received minus sent",
            row["emails_received"] - row["emails_sent"],
            "emails",
        )
        figures.add(f"{row['workers']} web worker(s) chains verify", 1 if row["chains_ok"] else 0, "bool")
        ratio = row["rps"] / rows[0]["rps"] if rows[0]["rps"] else 0
        print(
            f"{row['workers']:>11} {row['requests']:>9} {row['failures']:>6} {row['rps']:>8.1f} {ratio:>5.2f}x "
            f"{row['median_ms']:>5.0f}ms {row['p95_ms']:>5.0f}ms {row['writes']:>7} {row['write_p95_ms']:>7.0f}ms "
            f"{row['rows']:>11} {row['pending'] + row['failed']:>7} "
            f"{row['emails_sent']:>10}/{row['emails_received']:<10} {'ok' if row['chains_ok'] else 'BROKEN':>7}"
        )
    print(f"(chains: {rows[-1]['cases_checked']} cases, {rows[-1]['events_checked']} events at the end)")
    bad = [
        r for r in rows if r["pending"] or r["failed"] or r["emails_received"] != r["emails_sent"] or not r["chains_ok"]
    ]
    if bad:
        print(f"CHECK FAILED for {[r['workers'] for r in bad]} web worker(s); the services' logs end with:")
        for log in sorted(scratch.glob("*.log")):
            print(f"--- {log.name}", *log.read_text(errors="replace").splitlines()[-15:], sep="\n")


if __name__ == "__main__":
    main()
