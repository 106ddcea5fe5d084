"""Security tests: the domain's world and the API clients of tests/api, a fresh rate-limit state per test."""

from __future__ import annotations

from tests.api.conftest import _fresh_throttle_cache, api_client, client_for  # noqa: F401
from tests.workflows.partnership.conftest import partnership_world  # noqa: F401
