"""Arabic search: the domain's world and token clients (shared with the API tests)."""

from tests.api.conftest import _fast_hasher, _fresh_throttle_cache, client_for  # noqa: F401
from tests.workflows.partnership.conftest import draft, outcome_data, partnership_world, walk  # noqa: F401
