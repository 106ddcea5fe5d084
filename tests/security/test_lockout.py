"""Item 2: repeated failed sign-ins lock the (username, address) pair out on every sign-in surface."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LIMIT = 5


@pytest.fixture(autouse=True)
def _lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    # The API's own rate limits stay out of the way: these tests are about the lockout.
    settings.API_AUTH_THROTTLE_RATES = {"auth_ip": "1000/min", "auth_username": "1000/min"}


def _url(name, language="en"):
    with translation.override(language):
        return reverse(name)


def _portal(client, username, password, language="en", **extra):
    return client.post(_url("portal:sign_in", language), {"username": username, "password": password}, **extra)


def _admin(client, username, password, **extra):
    return client.post(_url("admin:login"), {"username": username, "password": password}, **extra)


def _api(client, username, password, **extra):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def _fail(surface, client, username="amal", times=LIMIT, **extra):
    return [surface(client, username, "wrong", **extra).status_code for _ in range(times)]


@pytest.mark.parametrize("surface", [_portal, _admin], ids=["portal", "admin"])
def test_a_browser_sign_in_is_locked_after_repeated_failures_even_with_the_right_password(make_user, surface):
    # given
    make_user("amal", is_staff=True)
    client = Client()
    _fail(surface, client)
    # when: the right password, straight after
    response = surface(client, "amal", "pw-123456")
    # then
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_sign_in_page_says_it_in_arabic(make_user):
    make_user("amal")
    client = Client()
    _fail(_portal, client, language="ar")
    response = _portal(client, "amal", "pw-123456", language="ar")
    assert response.status_code == 429
    assert 'id="locked-out"' in response.content.decode()
    assert "محاولات" in response.content.decode()


def test_the_api_answers_locked_out_in_json(make_user):
    # given
    make_user("amal")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    assert _fail(_api, client) == [400] * (LIMIT - 1) + [429]
    # when
    response = _api(client, "amal", "pw-123456")
    # then
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "Too many failed sign-in attempts" in response.json()["message"]
    assert int(response["Retry-After"]) > 0
    arabic = _api(APIClient(HTTP_ACCEPT_LANGUAGE="ar"), "amal", "pw-123456")
    assert arabic.json()["code"] == "locked_out" and "محاولات" in arabic.json()["message"]


def test_failures_count_across_surfaces(make_user):
    make_user("amal")
    _fail(_portal, Client(), times=2)
    _fail(_admin, Client(), times=2)
    _fail(_api, APIClient(), times=1)
    assert _api(APIClient(), "amal", "pw-123456").json()["code"] == "locked_out"


def test_the_lock_holds_one_username_from_one_address_only(make_user):
    # given: amal locked out from 192.0.2.1
    make_user("amal")
    make_user("basma")
    _fail(_api, APIClient(), REMOTE_ADDR="192.0.2.1")
    # then: amal from another address, and basma from the same one, still sign in
    assert _api(APIClient(), "amal", "pw-123456", REMOTE_ADDR="192.0.2.2").status_code == 200
    assert _api(APIClient(), "basma", "pw-123456", REMOTE_ADDR="192.0.2.1").status_code == 200
    assert _api(APIClient(), "amal", "pw-123456", REMOTE_ADDR="192.0.2.1").status_code == 429


def test_a_forged_forwarded_header_does_not_escape_the_lock(settings, make_user):
    settings.TRUSTED_PROXY_COUNT = 0
    make_user("amal")
    for index in range(LIMIT):
        _api(APIClient(), "amal", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{index}")
    response = _api(APIClient(), "amal", "pw-123456", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_lock_follows_the_client_address(settings, make_user):
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("amal")
    _fail(_api, APIClient(), HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert _api(APIClient(), "amal", "pw-123456", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert _api(APIClient(), "amal", "pw-123456", HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200


def test_a_success_before_the_limit_starts_the_count_again(make_user):
    make_user("amal")
    client = APIClient()
    _fail(_api, client, times=LIMIT - 1)
    assert _api(client, "amal", "pw-123456").status_code == 200
    _fail(_api, client, times=LIMIT - 1)
    assert _api(client, "amal", "pw-123456").status_code == 200


@pytest.mark.parametrize(
    "command, args", [("axes_reset", []), ("axes_reset_username", ["amal"])], ids=["all", "one username"]
)
def test_the_unlock_command_lets_the_user_in_again(make_user, command, args):
    make_user("amal")
    _fail(_api, APIClient())
    assert _api(APIClient(), "amal", "pw-123456").status_code == 429
    # when
    call_command(command, *args)
    # then
    assert _api(APIClient(), "amal", "pw-123456").status_code == 200


def test_the_admin_lists_lockouts(make_user, client):
    # given
    make_user("amal")
    _fail(_api, APIClient())
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    # when
    response = client.get(_url("admin:axes_accessattempt_changelist"))
    # then
    assert response.status_code == 200
    assert "amal" in response.content.decode()
