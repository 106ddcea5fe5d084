"""Backup and restore as the README says: checkpoint, pg_dump, restore into a new database, audit_verify.

A restore of the dump verifies against the checkpoint signed before it; a later checkpoint (signed after
more events happened) shows that the restored database lost those events.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.core.management import call_command
from django.db import connection

from tests.workflows.partnership.conftest import draft, walk
from workflows.partnership import services

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _url(name: str) -> str:
    return urlunparse(urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


def _pg(*args: str) -> None:
    parsed = urlparse(os.environ["DATABASE_URL"])
    command = [
        *args,
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_restored_{os.getpid()}"[:63]
    yield name
    _pg("dropdb", "--if-exists", "--force", name)


def _audit_verify(database: str, checkpoint: Path, key: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _url(database), "AUDIT_SIGNING_KEY": str(key), "LANGUAGE_CODE": "en"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "audit_verify", "--checkpoint", str(checkpoint)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_restore_verifies_and_one_that_lost_the_last_events_is_detected(
    partnership_world, settings, tmp_path, restored_name
):
    key = tmp_path / "keys" / "audit_ed25519.pem"
    settings.ENGINE = {**settings.ENGINE, "CHECKPOINT_KEY_PATH": str(key), "CHECKPOINT_DIR": str(tmp_path)}
    world = partnership_world
    # given a history, a checkpoint signed over it, then the dump (README: checkpoint, then pg_dump)
    first = walk(world, draft(world), "submitted")
    before_dump = tmp_path / "before-dump.json"
    call_command("audit_checkpoint", "--output", str(before_dump), stdout=open(os.devnull, "w"))
    dump = tmp_path / "dialogue.dump"
    _pg("pg_dump", "--format=custom", f"--file={dump}", connection.settings_dict["NAME"])
    # and later events, covered by a later checkpoint only
    services.request_accept(request=first, actor=world.secretariat)
    second = walk(world, draft(world, title="A second dialogue"), "submitted")
    assert second.pk
    later = tmp_path / "later.json"
    call_command("audit_checkpoint", "--output", str(later), stdout=open(os.devnull, "w"))
    # when the dump is restored into a new database (README: createdb, pg_restore --no-owner)
    _pg("createdb", restored_name)
    _pg("pg_restore", "--no-owner", f"--dbname={restored_name}", str(dump))
    # then it verifies against the checkpoint signed before the dump
    good = _audit_verify(restored_name, before_dump, key)
    assert good.returncode == 0, good.stdout + good.stderr
    # and against the later checkpoint it is caught missing the last events
    lost = _audit_verify(restored_name, later, key)
    assert lost.returncode == 1, lost.stdout + lost.stderr
    assert f"{first.reference} " in lost.stdout and "covered by the signed checkpoint, are missing" in lost.stdout
    assert f"{second.reference} " in lost.stdout
    # while the live database passes the later checkpoint
    live = _audit_verify(connection.settings_dict["NAME"], later, key)
    assert live.returncode == 0, live.stdout + live.stderr
