"""What a person may read of a case's events is declared once, in the flow, and every screen obeys it.

The truth this checks against is the public contract (API.md): a party to the request never learns how
an individual committee member voted or what conflict a member declared; the committee, the
secretariat and auditors do. Votes and conflict reasons carry unique marker words, so a leak anywhere
(history API, the request page, the votes list, a notification) shows up as a marker in what that
person received.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from engine.models import OutboxMessage
from tests.factories import UserFactory
from workflows.partnership import services
from workflows.partnership.flows import RequestFlow

from .conftest import draft, walk

pytestmark = pytest.mark.django_db

#: who may read individual votes and conflicts, per the public contract
OVERSIGHT = {"secretariat", "secretariat_lead", "auditor", "chair", "gov0", "gov1", "cso0", "cso1"}


def people(world):
    return {
        "secretariat": world.secretariat,
        "secretariat_lead": world.secretariat_lead,
        "auditor": world.auditor,
        "chair": world.chair,
        "gov0": world.gov[0],
        "gov1": world.gov[1],
        "cso0": world.cso_seats[0],
        "cso1": world.cso_seats[1],
        "requester": world.cso_coordinator,
        "counterpart": world.ministry_coordinator,
        "outsider": world.other_cso_coordinator,
    }


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def page(user, reference: str) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    with translation.override("en"):
        address = reverse("portal:request_detail", kwargs={"reference": reference})
    response = client.get(address)
    return response.status_code, response.content.decode()


def test_the_parties_never_see_who_voted_what_and_auditors_do(partnership_world):
    # given a request the committee voted on, one member with a reasoned reject
    world = partnership_world
    request = walk(world, draft(world), "in_committee")
    marker = f"secret-{uuid.uuid4().hex[:10]}"
    services.vote_cast(request=request, actor=world.gov[0], decision="reject", reason=f"Out of scope {marker}")
    # when the requester and an auditor read its history
    party = api(world.cso_coordinator).get(f"/api/v1/requests/{request.reference}/history/").json()
    auditor = api(world.auditor).get(f"/api/v1/requests/{request.reference}/history/").json()
    # then the requester sees the vote's place in the chain, with its hashes, but no voter and no reason
    party_vote = next(e for e in party["results"] if e["action"] == "vote_cast")
    assert party_vote["actor"] is None and party_vote["data"] == {} and party_vote["redacted"] is True
    assert party_vote["hash"] and party_vote["prev_hash"]
    assert marker not in str(party)
    # and the auditor sees who voted and why
    auditor_vote = next(e for e in auditor["results"] if e["action"] == "vote_cast")
    assert auditor_vote["actor"] == "committee-gov-1" and marker in auditor_vote["data"]["reason"]
    assert auditor_vote["redacted"] is False


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    voters=st.lists(st.sampled_from(["chair", "gov0", "gov1", "cso1"]), unique=True, min_size=1, max_size=4),
    decisions=st.lists(st.sampled_from(["approve", "reject", "abstain"]), min_size=4, max_size=4),
    conflict_by=st.sampled_from([None, "gov0", "gov1", "cso1"]),
    counterpart_accepted=st.booleans(),
)
def test_no_screen_or_endpoint_reveals_what_the_declared_visibility_hides(
    partnership_world, voters, decisions, conflict_by, counterpart_accepted
):
    # given a request in committee with random votes and perhaps a declared conflict, each with a marker
    world = partnership_world
    who = people(world)
    request = walk(world, draft(world), "in_committee" if counterpart_accepted else "submitted")
    markers: list[str] = []
    if conflict_by is not None:
        marker = f"conflict-{uuid.uuid4().hex[:10]}"
        markers.append(marker)
        services.conflict_declare(request=request, actor=who[conflict_by], reason=f"My cousin {marker}")
        voters = [v for v in voters if v != conflict_by]
    if request.state == "in_committee":
        for voter, decision in zip(voters, decisions, strict=False):
            request.refresh_from_db()
            if request.state != "in_committee":
                break
            marker = f"vote-{uuid.uuid4().hex[:10]}"
            markers.append(marker)
            services.vote_cast(request=request, actor=who[voter], decision=decision, reason=f"Because {marker}")
    request.refresh_from_db()
    stranger = UserFactory(username=f"stranger-{uuid.uuid4().hex[:6]}")
    for role, user in [*who.items(), ("stranger", stranger)]:
        flow = RequestFlow(request, user)
        # the flow's declaration agrees with the contract
        may_read = flow.can_view() and flow.may_read_event("vote_cast")
        assert may_read == (role in OVERSIGHT), role
        assert flow.may_read_event("conflict_declared") == may_read or not flow.can_view(), role
        # when this person reads everything they can reach
        history = api(user).get(f"/api/v1/requests/{request.reference}/history/")
        votes = api(user).get(f"/api/v1/requests/{request.reference}/votes/")
        status, html = page(user, request.reference)
        mine = OutboxMessage.objects.filter(recipient=user, case_id=request.pk).values_list("payload", flat=True)
        received = " ".join([history.content.decode(), votes.content.decode(), html, *map(str, mine)])
        # then a person the flow hides the deliberation from finds no marker anywhere, and others find them
        if may_read:
            assert history.status_code == 200 and votes.status_code == 200 and status == 200, role
            assert all(marker in history.content.decode() for marker in markers), role
        else:
            assert not any(marker in received for marker in markers), role
            assert votes.status_code in {403, 404}, role
            if history.status_code == 200:
                hidden = [e for e in history.json()["results"] if e["action"] in {"vote_cast", "conflict_declared"}]
                assert all(e["actor"] is None and e["data"] == {} and e["hash"] for e in hidden), role
