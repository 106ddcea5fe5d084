"""GET /api/v1/audit/verify/ answers from the last background verification; a fresh one runs as a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import engine
from engine import audit, tasks
from engine.models import AuditEvent, AuditVerification
from workflows.sample.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit/verify/"


@pytest.fixture
def auditor(partnership_world, client_for):
    return client_for(partnership_world.auditor)


@pytest.fixture
def tickets(partnership_world):
    staff = partnership_world.secretariat
    made = []
    for number in range(2):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff)
        made.append(ticket)
    return made


def _refuse_to_verify(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the request verified instead of reading the stored result")

    monkeypatch.setattr(audit, "verify_all", refuse)
    monkeypatch.setattr("engine.verification.verify_all", refuse)


def test_the_first_call_verifies_then_later_calls_read_the_stored_result(auditor, tickets, monkeypatch):
    # when nothing was ever verified, the first call verifies (and stores it)
    first = auditor.get(URL)
    assert first.status_code == 200
    body = first.json()
    assert body["ok"] is True and body["events_checked"] == AuditEvent.objects.count() and body["failures"] == []
    assert body["age_seconds"] >= 0 and body["verified_at"] and body["running"] is False
    # then later calls only read: a handful of queries whatever the size of the trail
    _refuse_to_verify(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        again = auditor.get(URL)
    assert again.status_code == 200 and again.json()["events_checked"] == body["events_checked"]
    assert len(captured) <= 6, [q["sql"] for q in captured.captured_queries]


def test_the_answer_says_how_old_it_is(auditor, tickets):
    tasks.audit_verify_task()
    AuditVerification.objects.update(finished_at=timezone.now() - timedelta(minutes=10))
    body = auditor.get(URL).json()
    assert 599 <= body["age_seconds"] <= 700
    assert body["ok"] is True


def test_a_fresh_run_is_a_job_and_its_result_replaces_the_old_one(auditor, tickets, django_capture_on_commit_callbacks):
    # given a stored result from before someone rewrote the state of a case behind the engine
    tasks.audit_verify_task()
    Ticket.objects.filter(pk=tickets[0].pk).update(state="resolved")
    assert auditor.get(URL).json()["ok"] is True  # still the stored answer
    # when a fresh run is asked for: 202 at once, the job runs after the request (in-process here)
    with django_capture_on_commit_callbacks(execute=True):
        started = auditor.get(URL, {"fresh": "1"})
    assert started.status_code == 202
    job = started.json()
    assert job["status"] == "running" and job["poll"] == URL
    assert AuditVerification.objects.get(pk=job["job"]).status == AuditVerification.Status.DONE
    # then the next answer is the fresh one, naming the case
    body = auditor.get(URL).json()
    assert body["ok"] is False and body["age_seconds"] < 60
    assert [(f["reference"], f["code"]) for f in body["failures"]] == [(tickets[0].reference, "state_mismatch")]


def test_post_starts_a_job_and_a_second_request_joins_the_running_one(auditor, tickets):
    # when (the job is handed over after commit, which this test's transaction never reaches)
    first = auditor.post(URL)
    second = auditor.post(URL)
    # then one run, shared
    assert first.status_code == second.status_code == 202
    assert first.json()["job"] == second.json()["job"]
    assert AuditVerification.objects.filter(status=AuditVerification.Status.RUNNING).count() == 1


def test_failures_are_worded_in_the_callers_language(partnership_world, client_for, tickets):
    Ticket.objects.filter(pk=tickets[1].pk).update(state="resolved")
    tasks.audit_verify_task()
    arabic = client_for(partnership_world.auditor, language="ar").get(URL).json()
    english = client_for(partnership_world.auditor).get(URL).json()
    assert arabic["failures"][0]["code"] == english["failures"][0]["code"] == "state_mismatch"
    assert arabic["failures"][0]["problem"] != english["failures"][0]["problem"]
    assert "resolved" in english["failures"][0]["problem"]


def test_a_bad_fresh_value_is_refused_in_the_callers_language(partnership_world, client_for, tickets):
    response = client_for(partnership_world.auditor, language="ar").get(URL, {"fresh": "maybe"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "fresh" in body["errors"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in body["errors"]["fresh"][0])
    assert not AuditVerification.objects.exists()


def test_only_auditors_may_ask(partnership_world, client_for, tickets):
    cso = client_for(partnership_world.cso_coordinator)
    assert cso.get(URL).status_code == 403
    assert cso.post(URL).status_code == 403
    assert cso.get(URL, {"fresh": "1"}).status_code == 403
    assert not AuditVerification.objects.exists()


def test_a_duplicate_task_message_for_a_finished_run_changes_nothing(tickets):
    run = AuditVerification.objects.create()
    tasks.audit_verify_task(run.pk)
    finished = AuditVerification.objects.get(pk=run.pk)
    tasks.audit_verify_task(run.pk)
    assert AuditVerification.objects.get(pk=run.pk).finished_at == finished.finished_at
    assert AuditVerification.objects.count() == 1
