"""A dialogue whose outcome is documented and published, an independent substantiator, harvest input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import UserFactory
from tests.workflows.partnership.conftest import (  # noqa: F401
    draft,
    outcome_data,
    partnership_world,
    walk,
)
from workflows.outcomes import selectors, services


@pytest.fixture
def dialogue(partnership_world):  # noqa: F811
    """A request whose outcome is documented, minutes confirmed by both parties (so published)."""
    world = partnership_world
    request = draft(world)
    walk(world, request, "outcome_documented")
    if request.minutes_confirmed_at is None:
        from workflows.partnership import services as partnership

        partnership.minutes_confirm(request=request, actor=world.cso_coordinator)
        partnership.minutes_confirm(request=request, actor=world.ministry_coordinator)
    request.refresh_from_db()
    return request


@pytest.fixture
def substantiator(db):
    user = UserFactory(username="reviewer", first_name="Nadia", last_name="Reviewer")
    user.groups.add(selectors.substantiators_group())
    return user


def harvest_data(request: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Ministry adopts diversion guidelines",
        "social_actor": "Ministry of Social Affairs, juvenile protection unit",
        "actor_side": "public",
        "change": "The unit issued written guidelines for diversion before trial.",
        "changed_on": "2026-01-15",
        "place": "Beirut",
        "significance": "First written rule on diversion since the 2002 law.",
        "contribution": "The roundtable brought the CSO's case evidence to the unit.",
        "evidence_links": ["https://example.org/memo-14-2026"],
        "change_type": "policy",
        "theme": request.theme.code,
        "requests": [request.reference],
        "visibility": "public",
    }
    data.update(overrides)
    return data


def harvest(world: Any, request: Any, **overrides: Any) -> Any:
    return services.outcome_harvest(actor=world.cso_coordinator, data=harvest_data(request, **overrides))
