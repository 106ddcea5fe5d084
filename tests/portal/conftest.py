"""Helpers for the portal's Django-client tests."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation


def url(route: str, language: str = "en", /, **kwargs) -> str:
    """``route`` reversed as the page in ``language`` (the URL carries the language)."""
    with translation.override(language):
        return reverse(route, kwargs=kwargs or None)


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in as a fresh user (pass ``username`` to pick one)."""

    def sign_in(user=None, **fields):
        user = user or make_user(fields.pop("username", "someone"), **fields)
        client.force_login(user)
        return user

    return sign_in


# The domain's test world (people with every role, organizations, the committee) and its helpers.
from tests.workflows.partnership.conftest import (  # noqa: E402, F401
    World,
    draft,
    meeting_data,
    outcome_data,
    partnership_world,
    request_data,
    walk,
)


@pytest.fixture
def world(request):
    """The domain's world of people and organizations (``partnership_world``)."""
    return request.getfixturevalue("partnership_world")


@pytest.fixture
def as_user(client):
    """Sign the test client in as ``user`` (returns the client)."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
