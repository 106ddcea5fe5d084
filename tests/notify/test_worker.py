"""End to end on real Redis with a real Celery worker process and PostgreSQL.

The worker listens on a queue of its own (``NOTIFY_QUEUE``) so no other test's tasks reach it,
writes email to files, and works on pytest-django's test database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.db import transaction

import engine
from config.celery import app as celery_app
from engine.models import OutboxMessage
from notify import routing, tasks

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
QUEUE = f"notify-test-{os.getpid()}"


def _database_url(name: str) -> str:
    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path=f"/{name}"))


def _wait(predicate, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def worker(transactional_db, mail_dir, tmp_path):
    """A `celery -A config worker` process on the test database; stopped whatever happens.

    One per test: each transactional test empties the tables, content types included, and the
    worker must not keep ids cached from the previous test.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict["NAME"]),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "NOTIFY_QUEUE": QUEUE,
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", QUEUE, "-P", "solo", "-l", "info",
        "-n", f"{QUEUE}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        ready = _wait(lambda: process.poll() is not None or b" ready." in log.read_bytes(), timeout=45)
        if process.poll() is not None or not ready:
            pytest.fail(f"the Celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        # Retries the worker still held go back to the queue on shutdown: drop them with the queue.
        import redis

        broker = redis.Redis.from_url(os.environ["REDIS_URL"])
        for key in broker.scan_iter(match=f"*{QUEUE}*"):
            broker.delete(key)


@pytest.fixture
def on_worker_queue(settings, worker, mail_dir):
    settings.NOTIFY = {"QUEUE": QUEUE}
    assert not celery_app.conf.task_always_eager, "REDIS_URL must be set for these tests"
    return mail_dir


def emails(mail_dir: Path) -> list[str]:
    """The recipients of every email the worker wrote, one entry per email."""
    found = []
    for path in sorted(mail_dir.iterdir()):
        for message in path.read_text(errors="replace").split("-" * 79):
            for line in message.splitlines():
                if line.startswith("To: "):
                    found.append(line[4:].strip())
    return found


def _recipient_rows(ticket, event):
    return OutboxMessage.objects.filter(case_id=ticket.pk, event=event).exclude(channel=routing.EVENT)


def test_a_committed_transition_is_delivered_by_the_worker(ticket, audiences, ticket_routes, on_worker_queue):
    # when the transition commits
    engine.run(ticket, "open", actor=audiences["staff"])
    # then the worker sends the email, writes the in-app notification and marks both rows sent
    rows = _recipient_rows(ticket, "open")
    assert _wait(lambda: not rows.exclude(status=OutboxMessage.Status.SENT).exists()), list(rows.values())
    assert emails(on_worker_queue) == ["secretary@example.org"]
    from notifications.models import Notification

    assert Notification.objects.filter(recipient=audiences["secretary"], verb="open").count() == 1


def test_broker_down_commits_anyway_and_the_sweep_delivers_each_once_when_it_is_back(
    ticket, audiences, monkeypatch, on_worker_queue, caplog
):
    # given everyone in the secretariat hears about "open", and the broker is unreachable
    monkeypatch.setitem(
        routing.routes_for("sample.ticket"), "open", (routing.Rule(("parties", "secretariat", "chair")),)
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with monkeypatch.context() as down:
        down.setitem(celery_app.conf, "broker_write_url", f"redis://127.0.0.1:{closed_port}/3")
        # when a transition commits
        started = time.monotonic()
        engine.run(ticket, "open", actor=audiences["staff"])
        elapsed = time.monotonic() - started
    # then it committed, quickly, and the failure to dispatch was logged, not raised
    ticket.refresh_from_db()
    assert ticket.state == "open" and elapsed < 3
    assert "the sweep will retry" in caplog.text
    rows = _recipient_rows(ticket, "open")
    assert rows.count() == 8 and not rows.exclude(status=OutboxMessage.Status.PENDING).exists()
    # when the broker is back and the sweep runs (twice, as beat would)
    assert tasks.sweep_outbox(older_than_seconds=0) == 8
    assert _wait(lambda: not rows.exclude(status=OutboxMessage.Status.SENT).exists())
    assert tasks.sweep_outbox(older_than_seconds=0) == 0
    # and a stray duplicate message for every row reaches the worker too
    tasks.enqueue(rows.values_list("pk", flat=True))
    time.sleep(0.5)
    # then each person got exactly one email
    expected = ["chair@example.org", "counterpart@example.org", "requester@example.org", "secretary@example.org"]
    assert sorted(emails(on_worker_queue)) == expected
    assert set(rows.values_list("attempts", flat=True)) == {1}


def test_a_rolled_back_transition_sends_nothing(ticket, audiences, ticket_routes, on_worker_queue):
    # when the transaction around the transition fails
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            engine.run(ticket, "open", actor=audiences["staff"])
            raise RuntimeError("a later step failed")
    # then no row exists and the worker sends nothing
    ticket.refresh_from_db()
    assert ticket.state == "new"
    assert not OutboxMessage.objects.filter(case_id=ticket.pk).exclude(event="create").exists()
    assert tasks.sweep_outbox(older_than_seconds=0) == 0
    time.sleep(0.3)
    assert emails(on_worker_queue) == []


def test_a_crowd_is_delivered_in_batches_each_email_exactly_once(
    ticket, audiences, make_user, monkeypatch, on_worker_queue, settings
):
    # given forty people hear about "open", and batches of 15 rows per task
    crowd = [make_user(f"member-{i}") for i in range(40)]
    monkeypatch.setitem(audiences, "secretariat", crowd)
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("secretariat",)),))
    settings.NOTIFY = {**settings.NOTIFY, "BATCH_SIZE": 15}
    # when the transition commits, and every row is also handed out a second time (a sweep racing the worker)
    engine.run(ticket, "open", actor=audiences["staff"])
    rows = _recipient_rows(ticket, "open")
    assert rows.count() == 80
    tasks.enqueue(list(rows.values_list("pk", flat=True))[::-1])
    # then every row is sent, each person got exactly one email, nothing was attempted twice
    assert _wait(lambda: not rows.exclude(status=OutboxMessage.Status.SENT).exists(), timeout=60)
    time.sleep(0.5)
    assert sorted(emails(on_worker_queue)) == sorted(f"member-{i}@example.org" for i in range(40))
    assert set(rows.values_list("attempts", flat=True)) == {1}
    from notifications.models import Notification

    assert Notification.objects.filter(verb="open").count() == 40
