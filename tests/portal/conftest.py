"""Helpers for the portal's Django-client tests."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation


def url(name: str, language: str = "en", **kwargs) -> str:
    """``name`` reversed as the page in ``language`` (the URL carries the language)."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in as a fresh user (pass ``username`` to pick one)."""

    def sign_in(user=None, **fields):
        user = user or make_user(fields.pop("username", "someone"), **fields)
        client.force_login(user)
        return user

    return sign_in
