"""The digest of a case's live rows written by PostgreSQL (``audit_sql.digest_sql``) is the one Python
computes (``snapshot.digest(snapshot.live(...))``), for every installed flow, so the in-database verifier
holds the rows to their digests in its one pass and sends Python only the cases that differ."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from engine import audit_sql, snapshot
from engine.audit import verify_all
from engine.registry import all_flows
from tests.workflows.outcomes.conftest import harvest
from tests.workflows.partnership.conftest import draft, outcome_data, partnership_world, walk  # noqa: F401
from workflows.outcomes.models import HarvestedOutcome
from workflows.partnership import services
from workflows.partnership.models import ActionItem

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# What JSON must escape, keep or shorten (over 160 characters a text is kept as its sha256).
AWKWARD = 'A "quoted" \\ back\tslash / تجربة ✅ \x07 del \x7f \u2028'
LONG = "Diversion before trial. " * 12


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the in-database digest needs PostgreSQL")


@pytest.fixture
def lived(partnership_world):  # noqa: F811
    """Cases of every audited flow in many states, with awkward, long, empty and null values."""
    world = partnership_world
    request = walk(world, draft(world, title=AWKWARD), "follow_up")
    services.action_item_create(
        request=request,
        actor=world.secretariat,
        description=LONG,
        owner_organization=world.ministry.pk,
        due_date="2027-01-31",
    )
    second = draft(world, title="Second request")
    services.request_update(request=second, actor=world.cso_coordinator, data={"summary": LONG})
    walk(world, second, "submitted")
    restricted = walk(world, draft(world, title="Third"), "meeting_held")
    services.outcome_document(
        request=restricted,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason=AWKWARD),
    )
    harvest(world, request, title='A "quoted" \\ slash / تجربة ✅')
    return world


def _pairs(flow_cls) -> list[tuple[int, str, str]]:
    """(case id, digest written by PostgreSQL, digest written by Python) of every case of ``flow_cls``."""
    model = flow_cls.model
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT k.id, {audit_sql.digest_sql(flow_cls)} FROM {table} k ORDER BY k.id")  # noqa: S608
        in_database = dict(cursor.fetchall())
    live = snapshot.live(model, flow_cls, list(in_database))
    return [(pk, in_database[pk], snapshot.digest(live[pk])) for pk in sorted(in_database)]


def test_every_flow_that_audits_is_digested_alike_in_the_database(lived):
    digested = {name for name, flow in all_flows().items() if audit_sql.digest_sql(flow) is not None}
    # every installed flow that audits something is written here (the ticket audits nothing)
    assert digested == {name for name, flow in all_flows().items() if snapshot.audits_anything(flow)}
    compared = 0
    for name in sorted(digested):
        for pk, in_database, in_python in _pairs(all_flows()[name]):
            assert in_database == in_python, (name, pk)
            compared += 1
    assert compared >= 6
    # and JSON in an audited field, nested, in any key order, as the database keeps it
    outcome = HarvestedOutcome.objects.get()
    outcome.evidence_links = ["https://example.org/a", {"z": AWKWARD, "a": [1, None, True, {"é": "", "e": 2}]}]
    outcome.save(update_fields=["evidence_links"])
    ((_pk, in_database, in_python),) = _pairs(all_flows()["outcomes.harvestedoutcome"])
    assert in_database == in_python


def test_an_intact_history_is_compared_in_the_one_pass(lived):
    # no case is sent back to Python for its rows: the database's digests matched every last event's
    audited = {name: flow for name, flow in all_flows().items() if snapshot.audits_anything(flow)}
    verdicts = {name: audit_sql.verify_case_type(name, flow) for name, flow in audited.items()}
    # (nor for its chain: times and numbered lines in the events' strings are no numbers to print)
    assert all(verdict.suspects == verdict.digest_suspects == [] for verdict in verdicts.values())
    cases = {name: flow.model._base_manager.filter(audit_seq__gt=0).count() for name, flow in audited.items()}
    assert {name: verdict.digests_checked for name, verdict in verdicts.items()} == cases
    assert sum(cases.values()) >= 6
    report = verify_all(method="database")
    assert report.ok, [failure.as_dict() for failure in report.failures]
    assert report.digests_checked == sum(cases.values())


def test_a_raw_edit_is_sent_to_python_and_named_as_python_names_it(lived):
    request = ActionItem.objects.get().request
    with connection.cursor() as cursor:
        cursor.execute("UPDATE partnership_actionitem SET description = 'short' WHERE request_id = %s", [request.pk])
    database, python = verify_all(method="database").as_dict(), verify_all(method="python").as_dict()
    assert database == python
    (failure,) = database["failures"]
    assert (failure["reference"], failure["code"]) == (request.reference, "row_changed")
    assert failure["problem"].startswith(f"action item #{ActionItem.objects.get().pk} description changed")


def test_a_type_the_database_does_not_write_leaves_the_comparison_to_python(lived):
    with mock.patch.object(audit_sql, "_case_value", return_value=None):
        assert all(audit_sql.digest_sql(flow) is None for flow in all_flows().values())
        with mock.patch("engine.audit._Verifier.snapshots", autospec=True) as snapshots:
            verify_all(method="database")
    assert {call.args[1] for call in snapshots.call_args_list} >= {"partnership.dialoguerequest"}
    assert verify_all(method="database").as_dict() == verify_all(method="python").as_dict()
