"""API test set-up: fast password hashing, a fresh throttle cache per test, token clients."""

from __future__ import annotations

import pytest
from django.core.cache.backends.locmem import LocMemCache
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.auth import AuthIpThrottle, AuthUsernameThrottle


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # The real hasher costs ~0.2 s per user; these tests are about HTTP, not key stretching.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_cache(monkeypatch):
    """Rate-limit counters live in the cache (Redis in CI); each test starts with none."""
    cache = LocMemCache("api-throttle-test", {})
    cache.clear()  # locmem caches of one name share their storage
    for throttle in (AuthIpThrottle, AuthUsernameThrottle):
        monkeypatch.setattr(throttle, "cache", cache)


@pytest.fixture
def api_client():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def client_for():
    """An API client authenticated with ``user``'s token (anonymous for None)."""

    def make(user, language: str = "en") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            _instance, token = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


# The domain's world (people, organizations, committee, charter) and its helpers, shared with the API tests.
from tests.workflows.partnership.conftest import (  # noqa: E402, F401
    draft,
    meeting_data,
    outcome_data,
    partnership_world,
    request_data,
    travel,
    walk,
)
