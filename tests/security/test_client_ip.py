"""Item 1: X-Forwarded-For is read only as far as trusted proxies vouch for it, never a 500."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from engine.client_ip import client_ip
from engine.models import AuditEvent
from tests.workflows.partnership.conftest import request_data
from workflows.partnership.models import DialogueRequest

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
FORGED = ["unknown", "1.2.3.4:5678", "not-an-ip", "", ",", "203.0.113.9, garbage", "[::1]:80", "1.2.3.4 5.6.7.8"]


def _request(forwarded: str | None, peer: str = "10.0.0.1"):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize("forwarded", [None, "203.0.113.9", "198.51.100.1, 203.0.113.9", *FORGED])
def test_without_a_trusted_proxy_the_header_is_ignored(settings, forwarded):
    settings.TRUSTED_PROXIES = []
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded)) == "10.0.0.1"


@pytest.mark.parametrize(
    "forwarded, expected",
    [
        ("203.0.113.9", "203.0.113.9"),
        # The client may write anything on the left; only the hop our proxy appended counts.
        ("6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ("not-an-ip, 203.0.113.9", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::1"),
        *[(value, "10.0.0.1") for value in FORGED],
    ],
)
def test_one_trusted_proxy_takes_the_rightmost_hop_and_falls_back_to_the_peer(settings, forwarded, expected):
    settings.TRUSTED_PROXIES = []
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded)) == expected


@pytest.mark.parametrize(
    "peer, forwarded, expected",
    [
        ("10.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ("10.0.0.1", "unknown, 10.0.0.2", "10.0.0.1"),
        ("10.0.0.1", "203.0.113.9:443", "10.0.0.1"),
        # A peer that is not one of our proxies: its header is not believed at all.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
    ],
)
def test_trusted_proxy_addresses_are_skipped_from_the_right(settings, peer, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded, peer=peer)) == expected


@pytest.mark.parametrize(
    "forwarded, expected",
    [("fe80::1%eth0", "fe80::1"), ("::ffff:203.0.113.9", "203.0.113.9"), ("2001:DB8::0:1", "2001:db8::1")],
)
def test_addresses_are_stored_in_the_form_postgresql_accepts(settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded)) == expected


def test_a_peer_address_that_is_not_an_address_gives_none():
    assert client_ip(_request(None, peer="not-an-ip")) is None


@pytest.mark.parametrize("forwarded", FORGED + ["203.0.113.9"])
def test_a_write_with_any_forwarded_header_is_audited_with_the_peer_address(
    settings, client_for, partnership_world, forwarded
):
    # given: no trusted proxy (the default)
    settings.TRUSTED_PROXIES = []
    settings.TRUSTED_PROXY_COUNT = 0
    client = client_for(partnership_world.cso_coordinator)
    # when
    response = client.post(
        "/api/v1/requests/",
        request_data(partnership_world),
        format="json",
        HTTP_X_FORWARDED_FOR=forwarded,
        REMOTE_ADDR="192.0.2.10",
    )
    # then
    assert response.status_code == 201, response.content
    request = DialogueRequest.objects.get(reference=response.json()["reference"])
    event = AuditEvent.objects.get(case_id=request.pk, case_type=request.case_type(), seq=1)
    assert event.ip_address == "192.0.2.10"


@pytest.mark.postgres
@pytest.mark.parametrize("forwarded", ["unknown", "1.2.3.4:5678", "not-an-ip", "fe80::1%eth0"])
def test_on_postgresql_an_unparsable_hop_from_a_trusted_proxy_is_no_500(
    settings, client_for, partnership_world, forwarded
):
    # given: one trusted proxy, whose hop is garbage (a careless proxy)
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_for(partnership_world.cso_coordinator)
    # when
    response = client.post(
        "/api/v1/requests/", request_data(partnership_world), format="json", HTTP_X_FORWARDED_FOR=forwarded
    )
    # then
    assert response.status_code == 201, response.content
    request = DialogueRequest.objects.get(reference=response.json()["reference"])
    recorded = AuditEvent.objects.get(case_id=request.pk, case_type=request.case_type(), seq=1).ip_address
    assert recorded == ("fe80::1" if forwarded.startswith("fe80") else "127.0.0.1")


def test_rotating_the_forwarded_header_does_not_escape_the_token_throttle(settings, api_client):
    # given: no trusted proxy; every attempt claims another address
    settings.TRUSTED_PROXY_COUNT = 0
    statuses = [
        api_client.post(
            TOKEN_URL,
            {"username": f"user{index}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{index}",
        ).status_code
        for index in range(21)
    ]
    # then: the 21st from the one peer is throttled
    assert statuses[20] == 429


def test_behind_one_proxy_the_throttle_counts_the_client_the_proxy_saw(settings, api_client):
    # given: one trusted proxy; the client forges a left-hand hop each time but the proxy's hop is the same
    settings.TRUSTED_PROXY_COUNT = 1
    statuses = [
        api_client.post(
            TOKEN_URL,
            {"username": f"user{index}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{index}, 203.0.113.9",
        ).status_code
        for index in range(21)
    ]
    assert statuses[20] == 429
    # and another client behind the same proxy is not affected
    other = api_client.post(
        TOKEN_URL, {"username": "someone", "password": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.10"
    )
    assert other.status_code == 400
