"""The demo never sends real mail, even on a deployment with a broker and an SMTP server.

`manage.py demo` runs as an administrator would run it (its own process, its own database) with a
broker configured: Redis when the run has one (CI's PostgreSQL + Redis phase), otherwise a broker
address nobody listens on. Email goes to files, so anything sent would be seen.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_demo_with_a_broker_sends_nothing(tmp_path):
    # given a deployment with a broker, mail written to files, on a database of its own
    queue = f"demo-mail-test-{os.getpid()}"
    broker = os.environ.get("REDIS_URL") or "redis://127.0.0.1:9/0"
    mail_dir = tmp_path / "mail"
    database = tmp_path / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SITE_URL"}}
    env.update(
        SQLITE_PATH=str(database),
        VAR_DIR=str(tmp_path / "var"),
        REDIS_URL=broker,
        NOTIFY_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        PORT="8123",
        LANGUAGE_CODE="en",
    )
    assert _run(["migrate", "--noinput", "-v", "0"], env).returncode == 0
    # when the demo is loaded
    result = _run(["demo", "--password", "pw-123456"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    # then every historical notification is settled: delivered in-process or recorded as never sent
    with sqlite3.connect(database) as db:
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM engine_outboxmessage GROUP BY status").fetchall())
    assert statuses.get("sent", 0) > 200, statuses
    assert statuses.get("pending", 0) == 0, statuses
    # and no email reached the configured backend (the demo's mail goes to an in-memory mailbox)
    assert not mail_dir.exists() or not any(mail_dir.iterdir())
    # and nothing waits on the broker for a worker
    if os.environ.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(broker)
        try:
            # (the notification tasks go to NOTIFY_QUEUE, this test's own: other tests' leftovers do not count)
            assert client.llen(queue) == 0
        finally:
            client.delete(queue)
    # and the demo names the address it is served at (dev.py demo PORT)
    assert "Open http://127.0.0.1:8123/" in result.stdout
    # and a sweep by a worker afterwards finds nothing to send
    sweep = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from notify import delivery; print(len(delivery.stale_pending_ids(older_than=0)))",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sweep.stdout.strip() == "0", sweep.stderr
