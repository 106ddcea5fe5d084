from __future__ import annotations

import pytest

from tests.factories import ensure_seed_data


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        ensure_seed_data()
