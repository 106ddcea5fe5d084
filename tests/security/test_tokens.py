"""Item 3: API tokens expire, rotate, and are revoked with a password change or a deactivation."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ROTATE_URL = "/api/v1/auth/token/rotate/"
ME_URL = "/api/v1/me/"


def _sign_in(username="amal", password="pw-123456"):
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _me(token):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(ME_URL)


def test_the_answer_keeps_the_contract_and_says_when_the_token_expires(settings, make_user):
    # given
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(hours=2)}
    make_user("amal")
    before = timezone.now()
    # when
    body = _sign_in()
    # then
    assert set(body) == {"token", "expires_at"}
    expires_at = parse_datetime(body["expires_at"])
    assert before + dt.timedelta(hours=2) <= expires_at <= timezone.now() + dt.timedelta(hours=2)
    assert _me(body["token"]).status_code == 200
    # only a hash is stored
    assert not AuthToken.objects.filter(digest=body["token"]).exists()
    assert body["token"] not in {row.digest for row in AuthToken.objects.all()}


def test_an_expired_token_is_refused(make_user):
    make_user("amal")
    body = _sign_in()
    expires_at = parse_datetime(body["expires_at"])
    with mock.patch("django.utils.timezone.now", return_value=expires_at + dt.timedelta(seconds=1)):
        response = _me(body["token"])
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert _me(body["token"]).status_code == 401


def test_rotation_gives_a_fresh_token_and_ends_the_old_one(make_user):
    # given
    make_user("amal")
    old = _sign_in()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old['token']}")
    # when
    response = client.post(ROTATE_URL)
    # then
    assert response.status_code == 200
    new = response.json()
    assert new["token"] != old["token"]
    assert parse_datetime(new["expires_at"]) >= parse_datetime(old["expires_at"])
    assert _me(new["token"]).status_code == 200
    assert _me(old["token"]).status_code == 401


def test_a_password_change_revokes_every_token(make_user, client):
    # given: two tokens (two scripts)
    user = make_user("amal")
    first, second = _sign_in()["token"], _sign_in()["token"]
    # when: the password changes through Django's own path
    user.set_password("a-new-password-2026")
    user.save()
    # then
    assert _me(first).status_code == 401
    assert _me(second).status_code == 401
    assert _me(_sign_in(password="a-new-password-2026")["token"]).status_code == 200


def test_the_changepassword_route_of_the_admin_revokes_tokens(make_user, client):
    user = make_user("amal")
    token = _sign_in()["token"]
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "another-pass-2026", "password2": "another-pass-2026", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert _me(token).status_code == 401


def test_deactivation_revokes_every_token_for_good(make_user):
    user = make_user("amal")
    token = _sign_in()["token"]
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    assert _me(token).status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_an_ordinary_save_or_a_sign_in_keeps_the_tokens(make_user):
    user = make_user("amal")
    token = _sign_in()["token"]
    user.first_name = "Amal"
    user.save()
    _sign_in()
    assert _me(token).status_code == 200


def test_a_token_header_that_is_not_utf8_is_a_401_not_a_500(make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token caf\xe9")
    assert client.get(ME_URL).status_code == 401


def test_the_schema_documents_expiry_and_rotation():
    from io import StringIO

    out = StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    text = out.getvalue()
    assert '"expires_at"' in text
    assert "/api/v1/auth/token/rotate/" in text
    assert "TOKEN_TTL" in text
