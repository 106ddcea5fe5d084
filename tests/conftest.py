"""Shared test set-up: services, the audit guard under SQLite flushes, common users."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _sqlite_flush_unlocks_audit() -> None:
    """Let test tear-down empty the append-only audit table on SQLite.

    Transactional tests are cleaned with DELETE; the database refuses that for audit events, so
    the flush (and only the flush) lifts the guard and puts it back.
    """
    from django.db.backends.sqlite3.base import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if "engine_auditevent" in tables:
            statements = [
                "UPDATE engine_audit_guard SET locked = 0",
                *statements,
                "UPDATE engine_audit_guard SET locked = 1",
            ]
        return statements

    DatabaseOperations.sql_flush = sql_flush


def _postgresql_flush_lifts_truncate_guard() -> None:
    """Let test tear-down TRUNCATE the audit table on PostgreSQL.

    The database refuses TRUNCATE of audit events (a statement trigger); the flush disables that one
    trigger around its TRUNCATE. Django runs a flush's statements in one transaction, so the trigger
    is never off outside it, and a failed flush leaves it on.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if "engine_auditevent" in tables and statements:
            statements = [
                "ALTER TABLE engine_auditevent DISABLE TRIGGER engine_auditevent_no_truncate;",
                *statements,
                "ALTER TABLE engine_auditevent ENABLE TRIGGER engine_auditevent_no_truncate;",
            ]
        return statements

    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture(scope="session", autouse=True)
def _audit_guard_aware_flush() -> None:
    _sqlite_flush_unlocks_audit()
    _postgresql_flush_lifts_truncate_guard()


@pytest.fixture(scope="session", autouse=True)
def _english_by_default() -> None:
    """Tests read English unless they ask for Arabic (the product's default is Arabic)."""
    from django.conf import settings

    settings.LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")


@pytest.fixture(scope="session", autouse=True)
def _no_sign_up_limit() -> None:
    """Sign-ups from 127.0.0.1 add up over a whole run; the test of the limit sets its own rate."""
    from django.conf import settings

    settings.SIGN_UP_RATE = None


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> None:
    """PBKDF2 at production strength costs ~0.3 s per user; tests check logic, not key stretching."""
    from django.conf import settings
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            if IN_CI and os.environ.get("DATABASE_URL"):
                pytest.fail("DATABASE_URL is set but the database in use is not PostgreSQL.")
            pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis"):
        url = os.environ.get("REDIS_URL", "")
        if not url:
            if IN_CI:
                pytest.fail("needs Redis but REDIS_URL is not set (CI must run it against Redis)")
            pytest.skip("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
        if not _reachable(url, 6379):
            pytest.fail(f"Redis at {url} is unreachable: start it (see README) and run again.")


@pytest.fixture(autouse=True)
def _no_language_leaks():
    """Every test starts in the tests' language; whatever it (or a request it made) activated ends with it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_engine_caches():
    """No calendar or SLA-policy cache outlives its test: a rolled-back test fires no invalidation signal."""
    from engine import calendar, sla

    calendar.forget_cached()
    sla.forget_policies()
    yield
    calendar.forget_cached()
    sla.forget_policies()


@pytest.fixture(autouse=True)
def _seeded_reference_data(request):
    """Themes, charter, SLA policies and committee rule, as the data migrations seed them.

    A transactional test (races, live server, real worker) empties every table when it ends; putting
    the seeded rows back here keeps each test independent of which ran before it.
    """
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        return
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    elif "db" in request.fixturenames:
        request.getfixturevalue("db")
    from tests.factories import ensure_seed_data

    ensure_seed_data()


@pytest.fixture(autouse=True)
def _tasks_in_process(request, monkeypatch):
    """Celery tasks (notification delivery) run in-process unless the test is marked ``redis``.

    With REDIS_URL set, after-commit hand-overs would otherwise go to a broker no worker reads.
    (Through monkeypatch, so a test patching the same setting is undone in the right order.)
    """
    from config.celery import app

    if not request.node.get_closest_marker("redis"):
        monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture(autouse=True)
def _no_login_lockout_left(request):
    """Login failures counted by django-axes (database rows) never reach the next test.

    Rolled-back tests lose them with the transaction and transactional ones with the flush; this
    also empties them at the start of each test that touches the database, whatever ran before.
    """
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        return
    request.getfixturevalue("_seeded_reference_data")
    from axes.utils import reset

    reset()


@pytest.fixture
def make_user(django_user_model):
    def make(username: str = "user", **fields):
        fields.setdefault("email", f"{username}@example.org")
        return django_user_model.objects.create_user(username=username, password="pw-123456", **fields)

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``TEST_ORDER=reverse`` runs the suite backwards: CI does once, to show no test depends on another."""
    if os.environ.get("TEST_ORDER") == "reverse":
        items.reverse()
