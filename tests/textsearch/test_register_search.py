"""Request search reaches the outcome register's text (when that workflow is installed)."""

from __future__ import annotations

import pytest

import engine
from textsearch.models import SearchEntry

from .test_arabic_search import _api_refs

# Only with the outcome register installed; its fixtures, by name for pytest.
_fixtures = pytest.importorskip("tests.workflows.outcomes.conftest")
dialogue, substantiator, harvest = _fixtures.dialogue, _fixtures.substantiator, _fixtures.harvest
Recommendation = pytest.importorskip("workflows.outcomes.models").Recommendation


def test_published_public_harvested_outcomes_and_recommendations_are_found(partnership_world, client_for, request):
    world = partnership_world
    case, reviewer = request.getfixturevalue("dialogue"), request.getfixturevalue("substantiator")
    outcome = harvest(world, case, title="اعتماد المبادئ التوجيهية للأحداث", change="تغيير في ممارسة النيابة العامة")
    assert _api_refs(client_for, world.secretariat, "النيابه") == set()  # a draft is not searchable
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=reviewer, data={"verdict": "confirmed"})
    engine.run(outcome, "publish", actor=world.secretariat)
    assert _api_refs(client_for, world.secretariat, "النيابه العامة") == {case.reference}
    assert _api_refs(client_for, world.other_cso_coordinator, "النيابة") == set()  # still only visible requests
    assert SearchEntry.objects.filter(source="harvested_outcome", object_id=outcome.pk).count() == 1

    item = Recommendation.objects.filter(request=case).first()
    assert item is not None
    item.text_ar = "تدريب قضاة الأحداث على بدائل الاحتجاز"
    item.save()
    assert _api_refs(client_for, world.secretariat, "قضاه بدائل") == {case.reference}
