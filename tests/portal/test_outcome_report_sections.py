"""The outcome register in the programme report and the dialogue report (when that workflow is installed)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

import engine

from .conftest import url

# Only with the outcome register installed; its fixtures, by name for pytest.
_fixtures = pytest.importorskip("tests.workflows.outcomes.conftest")
dialogue, substantiator, harvest = _fixtures.dialogue, _fixtures.substantiator, _fixtures.harvest

pytestmark = pytest.mark.django_db


def _published(world, request, reviewer, **overrides):
    outcome = harvest(world, request, **overrides)
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=reviewer, data={"verdict": "confirmed"})
    engine.run(outcome, "publish", actor=world.secretariat)
    return outcome


def test_programme_report_counts_harvested_outcomes_by_type_and_recommendations(client, partnership_world, request):
    world = partnership_world
    case, reviewer = request.getfixturevalue("dialogue"), request.getfixturevalue("substantiator")
    _published(world, case, reviewer)
    harvest(world, case, title="Still a draft", change_type="practice")
    client.force_login(world.secretariat)
    response = client.get(url("portal:programme_xlsx", "en"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = [list(row) for row in book["Harvested outcomes by type of c"].iter_rows(values_only=True)]
    assert rows[0] == ["Type of change", "Outcomes", "Published"]
    counts = {row[0]: row[1:] for row in rows[1:] if row and row[1] is not None}
    assert sum(value[0] for value in counts.values()) == 2
    assert sum(value[1] for value in counts.values()) == 1
    tracked = [list(row) for row in book["Tracked recommendations by status"[:31]].iter_rows(values_only=True)]
    assert tracked[0] == ["Status", "Recommendations", "Average progress (%)"]
    assert sum(row[1] for row in tracked[1:] if row and isinstance(row[1], int)) == 2  # the dialogue's two
    page = client.get(url("portal:programme_report", "en")).content.decode()
    assert "Harvested outcomes by type of change" in page


def test_dialogue_report_lists_published_harvested_outcomes_only(client, partnership_world, request):
    world = partnership_world
    case, reviewer = request.getfixturevalue("dialogue"), request.getfixturevalue("substantiator")
    published = _published(world, case, reviewer, title="Guidelines adopted")
    hidden = harvest(world, case, title="Not yet submitted")
    client.force_login(world.cso_coordinator)
    html = client.get(url("portal:request_report", "en", reference=case.reference)).content.decode()
    assert published.reference in html and hidden.reference not in html
    assert "Recommendations: progress" in html
