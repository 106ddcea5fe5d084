"""Item 7 (the small parts of the issue's item 6): PostgreSQL refuses TRUNCATE of the audit table, and
audit_verify warns loudly when no checkpoint key is pinned."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

import engine
from engine.models import AuditEvent
from workflows.sample.models import Ticket


@pytest.fixture
def tickets(django_user_model):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    made = []
    for number in range(2):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff)
        made.append(ticket)
    return made


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_to_truncate_the_audit_trail(tickets):
    # (committed rows: inside a test's transaction PostgreSQL refuses any TRUNCATE for pending FK checks)
    before = AuditEvent.objects.count()
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE engine_auditevent CASCADE")
    assert "append-only" in str(refused.value)
    assert AuditEvent.objects.count() == before == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_test_flush_still_empties_the_audit_table_and_leaves_the_guard_on(tickets):
    # given: a transactional test (its tear-down is a TRUNCATE-based flush), run one by hand here
    call_command("flush", "--noinput", verbosity=0)
    # then: the table is empty and the trigger is back on
    assert AuditEvent.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'engine_auditevent_no_truncate' AND NOT tgisinternal"
        )
        assert cursor.fetchone() == ("O",)
    from tests.factories import ensure_seed_data

    ensure_seed_data()


def _verify(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [[], ["--json"]], ids=["text", "json"])
def test_a_plain_verification_warns_on_stderr_that_no_key_is_pinned(tickets, extra):
    status, out, err = _verify(*extra)
    assert status == 0
    assert "WARNING: no pinned checkpoint key." in err
    assert "--public-key" in err
    assert "WARNING" not in out
    if extra:
        assert json.loads(out)["ok"] is True


@pytest.mark.django_db
def test_a_checkpoint_without_a_pinned_key_warns_and_a_pinned_one_does_not(tickets, settings, tmp_path):
    settings.ENGINE = {
        **settings.ENGINE,
        "CHECKPOINT_KEY_PATH": str(tmp_path / "keys" / "audit.pem"),
        "CHECKPOINT_DIR": str(tmp_path / "published"),
    }
    call_command("audit_checkpoint", stdout=io.StringIO(), stderr=io.StringIO())
    (path,) = (tmp_path / "published").glob("checkpoint-*.json")
    key = tmp_path / "published.pem"
    key.write_text(json.loads(path.read_text())["public_key"])
    # when / then
    _status, _out, unpinned = _verify("--checkpoint", str(path))
    assert "WARNING: no pinned checkpoint key." in unpinned
    status, _out, pinned = _verify("--checkpoint", str(path), "--public-key", str(key))
    assert status == 0
    assert pinned == ""
