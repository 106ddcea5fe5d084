"""Item 7: reads of restricted outcomes go to an append-only, tamper-evident access log of their own.
A GET never locks the case row, never changes the case and never extends its audit chain."""

from __future__ import annotations

import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from engine import access_log
from engine.audit import verify_all
from engine.models import AccessLogEntry, AccessLogHead, AuditEvent
from tests.portal.conftest import url
from tests.workflows.partnership.conftest import draft, outcome_data, walk
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def restricted(partnership_world):
    world = partnership_world
    request = walk(world, draft(world), "meeting_held")
    services.outcome_document(
        request=request,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason="Minors are named."),
    )
    return DialogueRequest.objects.get(pk=request.pk)


def _case_state(request: DialogueRequest) -> tuple:
    row = DialogueRequest.objects.values_list("state", "version", "audit_seq", "audit_hash", "updated_at").get(
        pk=request.pk
    )
    return (*row, AuditEvent.objects.filter(case_id=request.pk).count())


@pytest.fixture
def locked_models():
    """Every model a queryset was asked to lock (``select_for_update``) while the fixture is active."""
    seen: list[type] = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        seen.append(self.model)
        return original(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "select_for_update", spy):
        yield seen


def _read_everywhere(world, request, client_for, client) -> list[int]:
    statuses = [
        client_for(world.ministry_coordinator).get(f"/api/v1/requests/{request.reference}/").status_code,
        client_for(world.auditor).get(f"/api/v1/requests/{request.reference}/history/").status_code,
    ]
    client.force_login(world.auditor)
    statuses.append(
        client.get(url("portal:request_outcome", "en", reference=request.reference), headers=HTMX).status_code
    )
    return statuses


def test_restricted_reads_are_logged_without_touching_the_case(
    restricted, partnership_world, client_for, client, locked_models
):
    world = partnership_world
    before = _case_state(restricted)
    # when: a party over the API, the auditor over the API (history) and in the portal read it
    assert _read_everywhere(world, restricted, client_for, client) == [200, 200, 200]
    # then: three entries in the access log, chained, and the case is exactly as it was
    entries = list(AccessLogEntry.objects.order_by("seq"))
    assert [(e.seq, e.actor_label, e.actor_role, e.what, e.case_reference) for e in entries] == [
        (1, "ministry-coordinator", "party", "outcome", restricted.reference),
        (2, "auditor", "auditor", "history", restricted.reference),
        (3, "auditor", "auditor", "outcome", restricted.reference),
    ]
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert AccessLogHead.objects.get().seq == 3
    assert _case_state(restricted) == before
    assert not AuditEvent.objects.filter(case_id=restricted.pk, action="restricted_read").exists()
    # and no GET asked for a lock on a case (only the log's own head row was locked)
    assert DialogueRequest not in locked_models
    assert set(locked_models) == {AccessLogHead}


def test_a_cross_site_get_only_logs(restricted, partnership_world, client):
    """A link on another site makes the auditor's browser GET the outcome: at most a log entry."""
    client.force_login(partnership_world.auditor)
    before = _case_state(restricted)
    response = client.get(
        url("portal:request_outcome", "en", reference=restricted.reference),
        headers={**HTMX, "Referer": "https://evil.example/", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200
    assert _case_state(restricted) == before
    assert list(AccessLogEntry.objects.values_list("what", "actor_label")) == [("outcome", "auditor")]


def test_the_auditor_reads_the_access_log_paged_and_others_may_not(restricted, partnership_world, client_for):
    world = partnership_world
    for _ in range(3):
        client_for(world.ministry_coordinator).get(f"/api/v1/requests/{restricted.reference}/")
    auditor = client_for(world.auditor)
    body = auditor.get("/api/v1/audit/access-log/?page_size=2").json()
    assert body["count"] == 3
    assert [entry["seq"] for entry in body["results"]] == [3, 2]
    assert body["results"][0]["reader"] == "ministry-coordinator"
    assert body["results"][0]["reference"] == restricted.reference
    assert [e["seq"] for e in auditor.get("/api/v1/audit/access-log/?page=2&page_size=2").json()["results"]] == [1]
    filtered = auditor.get(f"/api/v1/audit/access-log/?case={restricted.reference.lower()}").json()
    assert filtered["count"] == 3
    assert auditor.get("/api/v1/audit/access-log/?case=DR-1999-0001").json()["count"] == 0
    bad = auditor.get("/api/v1/audit/access-log/?case=%3Cscript%3E")
    assert bad.status_code == 400 and "case" in bad.json()["errors"]
    assert client_for(world.secretariat).get("/api/v1/audit/access-log/").status_code == 403
    assert client_for(world.ministry_coordinator).get("/api/v1/audit/access-log/").status_code == 403


def _verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit_verify", "--json", stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def _unguarded(sql: str, params: list) -> None:
    """A raw edit by someone who can also lift the guard (SQLite's guard row; PostgreSQL: a superuser)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("UPDATE engine_audit_guard SET locked = 0")
            cursor.execute(sql, params)
            cursor.execute("UPDATE engine_audit_guard SET locked = 1")
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_audit_verify_checks_the_access_log_as_a_section_of_its_own(restricted, partnership_world):
    world = partnership_world
    for actor in (world.auditor, world.ministry_coordinator, world.auditor):
        services.outcome_read_restricted(request=restricted, actor=actor)
    status, out = _verify()
    assert status == 0 and json.loads(out)["access_entries_checked"] == 3
    # when: a read is disowned (the reader's name rewritten)
    _unguarded("UPDATE engine_accesslogentry SET actor_label = %s WHERE seq = 2", ["someone-else"])
    status, out = _verify()
    (failure,) = json.loads(out)["failures"]
    assert status == 1
    assert failure["case_type"] == access_log.LOG_TYPE
    assert failure["problem"] == "Access log entry #2 was altered: its content no longer matches its hash."
    # when: instead the last read is removed
    _unguarded("UPDATE engine_accesslogentry SET actor_label = %s WHERE seq = 2", ["ministry-coordinator"])
    _unguarded("DELETE FROM engine_accesslogentry WHERE seq = 3", [])
    report = verify_all(method="python")
    assert [failure.problem for failure in report.failures] == [
        "Access log entries #3 to #3 are missing: the log's head is at #3."
    ]
    text = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("audit_verify", stdout=text, stderr=io.StringIO())
    assert "Access log of restricted reads:" in text.getvalue()


def test_the_access_log_refuses_update_and_delete(restricted, partnership_world):
    services.outcome_read_restricted(request=restricted, actor=partnership_world.auditor)
    for statement in ("UPDATE engine_accesslogentry SET what = 'x'", "DELETE FROM engine_accesslogentry"):
        with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        assert "append-only" in str(refused.value)
    assert AccessLogEntry.objects.get().what == "outcome"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_get_takes_no_row_lock_on_the_case(partnership_world, client_for):
    world = partnership_world
    request = walk(world, draft(world), "meeting_held")
    services.outcome_document(
        request=request,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason="Minors are named."),
    )
    table = DialogueRequest._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        response = client_for(world.ministry_coordinator).get(f"/api/v1/requests/{request.reference}/")
    assert response.status_code == 200
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"].upper()]
    assert locking, "the access log's head row is locked for the append"
    assert not [sql for sql in locking if f'"{table}"' in sql]
    assert all('"engine_accessloghead"' in sql for sql in locking)
    assert AccessLogEntry.objects.filter(case_id=request.pk).count() == 1
    # and PostgreSQL refuses TRUNCATE of the log like the audit table's
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE engine_accesslogentry")
    assert "append-only" in str(refused.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_concurrent_reads_and_a_vote_neither_block_nor_break_a_chain(partnership_world):
    """Eight restricted reads at once while the case moves: the log's chain and the case's chain both hold."""
    from tests.concurrency import race

    world = partnership_world
    request = walk(world, draft(world), "meeting_held")
    services.outcome_document(
        request=request,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason="Minors are named."),
    )
    readers = [world.auditor, world.ministry_coordinator, world.cso_coordinator, world.secretariat] * 2

    def read(index: int) -> object:
        if index == len(readers):
            return services.minutes_confirm(
                request=DialogueRequest.objects.get(pk=request.pk), actor=world.cso_coordinator
            )
        case = DialogueRequest.objects.get(pk=request.pk)
        return services.outcome_read_restricted(request=case, actor=readers[index])

    outcomes = race(read, len(readers) + 1)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert sorted(AccessLogEntry.objects.values_list("seq", flat=True)) == list(range(1, len(readers) + 1))
    report = verify_all()
    assert report.ok, [failure.as_dict() for failure in report.failures]
    assert report.access_entries_checked == len(readers)
