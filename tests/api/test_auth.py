from __future__ import annotations

import pytest
from django.contrib.auth.hashers import get_hasher
from knox.models import AuthToken

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


def test_right_credentials_give_a_token_that_authenticates(api_client, make_user):
    # given
    user = make_user("amal")
    # when
    response = api_client.post(URL, {"username": "amal", "password": "pw-123456"}, format="json")
    # then
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}
    assert AuthToken.objects.get(user=user).token_key == response.json()["token"][:15]


@pytest.mark.parametrize(
    "username, password",
    [("amal", "wrong"), ("nobody", "pw-123456"), ("inactive", "pw-123456")],
    ids=["wrong password", "unknown user", "inactive user"],
)
def test_refusals_look_the_same_whoever_is_asking(api_client, make_user, username, password):
    # given
    make_user("amal")
    make_user("inactive", is_active=False)
    # when
    response = api_client.post(URL, {"username": username, "password": password}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_credentials", "message": "Unable to sign in with these credentials."}
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("username", ["amal", "nobody"], ids=["existing user", "unknown user"])
def test_the_password_hasher_runs_whether_or_not_the_username_exists(api_client, make_user, monkeypatch, username):
    # given: a spy on the default hasher (its encode is what costs time, in verify and in make_password)
    make_user("amal")
    hasher_class = type(get_hasher("default"))
    calls = []
    original = hasher_class.encode

    def spy(self, password, salt, *args, **kwargs):
        calls.append(password)
        return original(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(hasher_class, "encode", spy)
    # when
    response = api_client.post(URL, {"username": username, "password": "a-wrong-password"}, format="json")
    # then
    assert response.status_code == 400
    assert calls == ["a-wrong-password"]


def test_missing_fields_are_reported_per_field(api_client):
    response = api_client.post(URL, {"username": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"username", "password"}


def test_too_many_attempts_for_one_username_are_throttled_with_a_translated_message(api_client, make_user):
    # given: five wrong passwords for amal, from different addresses
    make_user("amal")
    for index in range(5):
        response = api_client.post(
            URL, {"username": "amal", "password": "x"}, format="json", REMOTE_ADDR=f"10.0.0.{index}"
        )
        assert response.status_code == 400
    # when: a sixth, even with the right password, in Arabic
    response = api_client.post(
        URL,
        {"username": "amal", "password": "pw-123456"},
        format="json",
        REMOTE_ADDR="10.0.0.9",
        HTTP_ACCEPT_LANGUAGE="ar",
    )
    # then
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert "ثانية" in response.json()["message"] or "ثوان" in response.json()["message"]
    assert not AuthToken.objects.exists()
    # another username from a fresh address is not affected
    make_user("basma")
    other = api_client.post(URL, {"username": "basma", "password": "pw-123456"}, format="json", REMOTE_ADDR="10.0.1.1")
    assert other.status_code == 200


def test_too_many_attempts_from_one_address_are_throttled(api_client):
    statuses = [
        api_client.post(URL, {"username": f"user{index}", "password": "x"}, format="json").status_code
        for index in range(21)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


def test_a_token_can_be_revoked(client_for, make_user):
    # given
    user = make_user("amal")
    client = client_for(user)
    # when
    response = client.delete(URL)
    # then
    assert response.status_code == 204
    assert not AuthToken.objects.filter(user=user).exists()
    assert client.delete(URL).status_code == 401


def test_a_bad_token_is_refused_with_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api_client.delete(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
