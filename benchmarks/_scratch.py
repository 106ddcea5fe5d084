"""A throw-away PostgreSQL database for one benchmark run: created, migrated, dropped."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _with_db(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def scratch_name(name: str, url: str | None = None) -> str:
    """``name`` prefixed so that engineers sharing one server never drop each other's scratch database.

    ``BENCH_DB_PREFIX`` when set; otherwise the database DATABASE_URL names (``wt_perf`` →
    ``wt_perf_bench_api``), unless that is the server's maintenance database ``postgres``.
    """
    prefix = os.environ.get("BENCH_DB_PREFIX")
    if prefix is None:
        current = urlparse(url or os.environ.get("DATABASE_URL", "")).path.lstrip("/")
        prefix = f"{current}_" if current and current != "postgres" and not current.startswith("bench") else ""
    return f"{prefix}{name}"


def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(statement)


@contextmanager
def scratch_database(name: str, *, keep: bool = False, env: dict[str, str] | None = None) -> Iterator[None]:
    """Point Django at a fresh database ``name`` on DATABASE_URL's server, migrate it, drop it afterwards."""
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base_url.startswith(("postgres://", "postgresql://")):
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/dbname")
    name = scratch_name(name, base_url)
    _admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(base_url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = _with_db(base_url, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(env or {})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    print(f"Migrating {name} ...", flush=True)
    call_command("migrate", verbosity=0)
    try:
        yield
    finally:
        connections.close_all()
        if not keep:
            _admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
