"""Item 6: edits outside the audit trail are caught. Each event carries the digest of the case's audited
fields and rows after it; audit_verify holds the live rows to the digest of each case's last event and
names the case, the row and the field that differ."""

from __future__ import annotations

import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import snapshot
from engine.audit import verify_all
from engine.models import AuditEvent
from tests.workflows.partnership.conftest import draft, outcome_data, walk
from workflows.outcomes.models import Recommendation
from workflows.partnership import services
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import ActionItem, DialogueRequest, Vote

pytestmark = pytest.mark.django_db


def _verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def _raw(sql: str, params: list) -> None:
    """An edit straight in the database, as someone with SQL access (not through the engine) would make it."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def restricted(partnership_world):
    world = partnership_world
    request = walk(world, draft(world), "meeting_held")
    services.outcome_document(
        request=request,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason="Minors are named."),
    )
    request.refresh_from_db()
    return request


def test_a_whole_life_verifies_clean_and_every_case_is_compared(partnership_world):
    # given: a request through every step to closed, with a follow-up action, and another one declined
    world = partnership_world
    request = walk(world, draft(world), "outcome_documented")
    services.minutes_confirm(request=request, actor=world.cso_coordinator)
    services.minutes_confirm(request=request, actor=world.ministry_coordinator)
    services.request_follow_up_start(request=request, actor=world.secretariat)
    item = services.action_item_create(
        request=request,
        actor=world.secretariat,
        description="Draft the guidelines",
        owner_organization=world.ministry.pk,
        due_date="2027-01-31",
    )
    services.action_item_update(item=item, actor=world.secretariat, status="done")
    walk(world, request, "closed")
    other = draft(world, title="Second request")
    services.request_update(request=other, actor=world.cso_coordinator, data={"title": "Second request, edited"})
    # when
    report = verify_all(method="python")
    status, out = _verify()
    # then: intact, and both cases' rows were held to their last digest
    assert report.ok, [failure.as_dict() for failure in report.failures]
    # (the documented outcome's recommendations are tracked cases of their own, held to their digests too)
    cases = 2 + Recommendation.objects.count()
    assert (report.digests_checked, report.cases_without_digest) == (cases, 0)
    assert status == 0
    assert f"Audited fields and rows of {cases} cases compared with the digest of their last event." in out
    last = AuditEvent.objects.filter(case_id=request.pk).order_by("-seq").first()
    assert last.digest == snapshot.digest(last.snapshot)
    assert last.snapshot["rows"]["action_items"][str(item.pk)]["status"] == "done"


def test_a_restricted_outcome_switched_to_public_by_a_raw_update_is_named(restricted):
    # given: an intact history
    assert _verify()[0] == 0
    # when: someone with database access publishes the restricted outcome
    _raw("UPDATE partnership_outcome SET visibility = %s WHERE request_id = %s", ["public", restricted.pk])
    # then
    status, out = _verify()
    assert status == 1
    assert restricted.reference in out
    assert "outcome visibility changed outside the audit trail: restricted → public" in out
    (failure,) = verify_all(method="python").failures
    assert (failure.code, failure.case_reference, failure.params["field"]) == (
        "row_changed",
        restricted.reference,
        "visibility",
    )


def test_a_title_edited_by_a_raw_update_is_named(restricted):
    _raw("UPDATE partnership_dialoguerequest SET title = %s WHERE id = %s", ["A forged title", restricted.pk])
    status, out = _verify("--json")
    assert status == 1
    (failure,) = json.loads(out)["failures"]
    assert failure["reference"] == restricted.reference
    assert failure["code"] == "field_changed"
    assert failure["problem"] == (
        "title changed outside the audit trail: Alternatives to detention for minors → A forged title"
    )


def test_a_vote_edited_or_deleted_by_a_raw_statement_is_named(restricted):
    vote = Vote.objects.filter(request=restricted).order_by("id").first()
    assert vote.decision == "approve"
    # when: a vote is turned around
    _raw("UPDATE partnership_vote SET decision = %s WHERE id = %s", ["reject", vote.pk])
    status, out = _verify()
    assert status == 1
    assert f"vote #{vote.pk} vote changed outside the audit trail: approve → reject" in out
    # when: it is removed instead
    _raw("UPDATE partnership_vote SET decision = %s WHERE id = %s", ["approve", vote.pk])
    assert _verify()[0] == 0
    _raw("DELETE FROM partnership_vote WHERE id = %s", [vote.pk])
    status, out = _verify()
    assert status == 1
    assert f"{restricted.reference} " in out
    assert f"vote #{vote.pk} was deleted outside the audit trail." in out


def test_an_action_item_written_outside_the_engine_is_named(partnership_world):
    world = partnership_world
    request = walk(world, draft(world), "outcome_documented")
    services.minutes_confirm(request=request, actor=world.cso_coordinator)
    services.minutes_confirm(request=request, actor=world.ministry_coordinator)
    services.request_follow_up_start(request=request, actor=world.secretariat)
    item = services.action_item_create(
        request=request,
        actor=world.secretariat,
        description="Draft the guidelines",
        owner_organization=world.ministry.pk,
        due_date="2027-01-31",
    )
    ActionItem.objects.filter(pk=item.pk).update(status="done")  # the ORM, but no unit, no event
    (failure,) = verify_all(method="python").failures
    assert failure.problem == f"action item #{item.pk} status changed outside the audit trail: open → done"


def test_a_raw_edit_after_later_steps_is_caught(restricted, partnership_world):
    world = partnership_world
    services.minutes_confirm(request=restricted, actor=world.cso_coordinator)
    _raw("UPDATE partnership_outcome SET visibility = %s WHERE request_id = %s", ["public", restricted.pk])
    assert _verify()[0] == 1


def test_events_written_before_digests_are_skipped_and_counted(partnership_world):
    # given: a history written before digests (the engine audited nothing then)
    world = partnership_world
    with mock.patch("engine.snapshot.audits_anything", return_value=False):
        old = walk(world, draft(world), "approved")
    new = draft(world, title="After the upgrade")
    assert not AuditEvent.objects.filter(case_id=old.pk).exclude(digest=None).exists()
    # when: it is edited outside the engine
    _raw("UPDATE partnership_dialoguerequest SET title = %s WHERE id = %s", ["Edited", old.pk])
    # then: its chain still verifies (hashes without a digest are unchanged), it is skipped and counted
    report = verify_all(method="python")
    assert report.ok
    assert (report.digests_checked, report.cases_without_digest) == (1, 1)
    status, out = _verify()
    assert status == 0
    assert "1 cases were not compared with their rows: their last event predates digests." in out
    assert new.pk != old.pk


def test_the_snapshot_of_a_step_costs_one_query(restricted):
    with CaptureQueriesContext(connection) as queries:
        taken = snapshot.take(DialogueRequest.objects.get(pk=restricted.pk), RequestFlow)
    assert len(queries) == 2  # the case row read here, then one UNION ALL of every audited table
    assert "UNION ALL" in queries[1]["sql"].upper()
    assert set(taken["rows"]) == {"votes", "outcome", "action_items"}
    assert taken["rows"]["outcome"][str(restricted.outcome.pk)]["visibility"] == "restricted"


def test_the_background_verification_names_the_field_too(restricted, client_for, partnership_world):
    _raw("UPDATE partnership_outcome SET visibility = %s WHERE request_id = %s", ["public", restricted.pk])
    body = client_for(partnership_world.auditor).get("/api/v1/audit/verify/").json()
    assert body["ok"] is False
    assert body["digests_checked"] == 1 + Recommendation.objects.count()
    (failure,) = body["failures"]
    assert failure["reference"] == restricted.reference
    assert failure["problem"] == "outcome visibility changed outside the audit trail: restricted → public"


@pytest.mark.postgres
@pytest.mark.parametrize("method", ["database", "python"])
def test_postgresql_catches_the_same_edits_with_either_verifier(restricted, method):
    assert verify_all(method=method).ok
    vote = Vote.objects.filter(request=restricted).order_by("id").first()
    _raw("UPDATE partnership_outcome SET visibility = %s WHERE request_id = %s", ["public", restricted.pk])
    _raw("UPDATE partnership_vote SET reason = %s WHERE id = %s", ["forged", vote.pk])
    (failure,) = verify_all(method=method).failures
    # the case's first difference is named (its votes come after its outcome in the comparison)
    assert failure.problem == "outcome visibility changed outside the audit trail: restricted → public"
    _raw("UPDATE partnership_outcome SET visibility = %s WHERE request_id = %s", ["restricted", restricted.pk])
    (failure,) = verify_all(method=method).failures
    assert failure.problem == f"vote #{vote.pk} reason changed outside the audit trail: — → forged"


def test_cases_are_compared_in_batches_and_each_is_named(partnership_world):
    world = partnership_world
    cases = [draft(world, title=f"Request {number}") for number in range(3)]
    _raw("UPDATE partnership_dialoguerequest SET title = %s WHERE id = %s", ["Forged", cases[2].pk])
    _raw("UPDATE partnership_dialoguerequest SET language = %s WHERE id = %s", ["ar", cases[0].pk])
    with mock.patch("engine.audit.SNAPSHOT_BATCH", 2):
        report = verify_all(method="python")
    assert report.digests_checked == 3
    assert [(failure.case_reference, failure.problem) for failure in report.failures] == [
        (cases[0].reference, "language changed outside the audit trail: both → ar"),
        (cases[2].reference, "title changed outside the audit trail: Request 2 → Forged"),
    ]


def test_an_application_edited_outside_the_engine_is_named(partnership_world):
    from tests.factories import UserFactory
    from workflows.accession import services as accession

    applicant = UserFactory(username="applicant")
    application = accession.application_create(
        actor=applicant,
        data={
            "name": "Justice Watch",
            "name_ar": "مرصد العدالة",
            "side": "civil",
            "kind": "cso",
            "registration_number": "77/AD",
            "themes": ["disability-rights"],
            "contact_email": "info@justice-watch.example.org",
        },
    )
    assert verify_all(method="python").ok
    _raw("UPDATE accession_application SET name = %s WHERE id = %s", ["Someone Else", application.pk])
    (failure,) = verify_all(method="python").failures
    assert failure.case_reference == application.reference
    assert failure.problem == "name (English) changed outside the audit trail: Justice Watch → Someone Else"
