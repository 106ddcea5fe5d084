"""The outcome register is held to its digests too: a published outcome or a recommendation's progress
edited outside the engine is named by audit_verify."""

from __future__ import annotations

import pytest
from django.db import connection

import engine
from engine.audit import verify_all
from workflows.outcomes.models import ProgressNote, Recommendation

from .conftest import harvest

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _problems() -> list[tuple[str, str, str]]:
    report = verify_all(method="python")
    return [(f.case_reference, f.code, f.params.get("field", "")) for f in report.failures]


def test_a_published_outcome_and_a_recommendations_progress_edited_outside_the_engine_are_named(
    partnership_world,
    dialogue,
    substantiator,
):
    world = partnership_world
    outcome = harvest(world, dialogue)
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=substantiator, data={"verdict": "confirmed", "note": ""})
    engine.run(outcome, "publish", actor=world.secretariat)
    item = Recommendation.objects.filter(request=dialogue).order_by("position").first()
    engine.run(item, "owner_assigned", actor=world.secretariat, data={"organization": world.ministry.pk})
    engine.run(
        item,
        "progress_reported",
        actor=world.secretariat,
        data={"status": "in_progress", "progress": 40, "note": "A first draft circulated."},
    )
    assert _problems() == []

    _raw("UPDATE outcomes_harvestedoutcome SET change_type = %s WHERE id = %s", ["discourse", outcome.pk])
    _raw("UPDATE outcomes_recommendation SET progress = %s WHERE id = %s", [90, item.pk])
    note = ProgressNote.objects.get(recommendation=item)
    _raw("UPDATE outcomes_progressnote SET note = %s WHERE id = %s", ["Fully implemented.", note.pk])

    problems = _problems()
    assert (outcome.reference, "field_changed", "change_type") in problems
    assert (item.reference, "field_changed", "progress") in problems or (
        item.reference,
        "row_changed",
        "note",
    ) in problems
    assert {reference for reference, _code, _field in problems} == {outcome.reference, item.reference}
