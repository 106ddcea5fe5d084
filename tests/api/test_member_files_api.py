"""A member's life after joining, through the API: a coordinator hands over, the secretariat suspends and reinstates."""

from __future__ import annotations

import pytest

from engine.models import AuditEvent, OutboxMessage
from partners.models import Membership
from tests.factories import UserFactory
from tests.workflows.partnership.conftest import draft
from workflows.accession.models import MemberFile

pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, body or {}, format="json")


def open_file(client, organization) -> str:
    response = post(client, "/api/v1/members/", {"organization": organization.pk})
    assert response.status_code in (200, 201), response.content
    return response.json()["reference"]


def test_a_coordinator_hands_over_and_the_secretariat_confirms(partnership_world, client_for):
    w = partnership_world
    successor = UserFactory(username="new-coordinator", email="new@example.org")
    coordinator = client_for(w.cso_coordinator, language="ar")
    ref = open_file(coordinator, w.cso)
    assert ref.startswith("MB-")
    assert open_file(client_for(w.secretariat), w.cso) == ref  # one file per organization
    # someone of another organization cannot open this one's file
    other = post(client_for(w.ministry_coordinator), "/api/v1/members/", {"organization": w.cso.pk})
    assert other.status_code == 404

    url = f"/api/v1/members/{ref}/transitions/"
    unknown = post(coordinator, url + "handover_proposed/", {"successor": "nobody"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"]["successor"] == ["لا يوجد حساب نشط بهذا الاسم أو البريد الإلكتروني."]
    itself = post(coordinator, url + "handover_proposed/", {"successor": w.cso_coordinator.username})
    assert itself.status_code == 409 and itself.json()["reasons"][0]["code"] == "already_coordinator"
    assert itself.json()["reasons"][0]["article"] == "6"
    # the secretariat cannot propose, the coordinator cannot confirm
    assert (
        post(client_for(w.secretariat), url + "handover_proposed/", {"successor": "new@example.org"}).status_code == 403
    )

    proposed = post(coordinator, url + "handover_proposed/", {"successor": "new@example.org"})
    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["state"] == "handover_pending" and proposed.json()["successor"] == "new-coordinator"
    assert post(coordinator, url + "handover_confirmed/").status_code == 403
    # the successor can see the file before the handover is confirmed
    assert client_for(successor).get(f"/api/v1/members/{ref}/").status_code == 200

    confirmed = post(client_for(w.secretariat), url + "handover_confirmed/")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["state"] == "active" and confirmed.json()["successor"] is None
    roles = dict(Membership.objects.filter(organization=w.cso).values_list("user__username", "role"))
    assert roles["new-coordinator"] == "coordinator" and roles[w.cso_coordinator.username] == "member"
    actions = list(
        AuditEvent.objects.filter(case_type="accession.memberfile", case_id=MemberFile.objects.get().pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "handover_proposed", "handover_confirmed"]


def test_a_suspended_member_cannot_submit_until_reinstated(partnership_world, client_for):
    w = partnership_world
    request = draft(w)  # a draft of the CSO, ready to submit
    secretariat = client_for(w.secretariat, language="ar")
    ref = open_file(secretariat, w.cso)
    url = f"/api/v1/members/{ref}/transitions/"

    no_reason = post(secretariat, url + "suspend/", {})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    assert post(client_for(w.cso_coordinator), url + "suspend/", {"reason": "x"}).status_code == 403
    suspended = post(secretariat, url + "suspend/", {"reason": "Statutes expired."})
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended"
    w.cso.refresh_from_db()
    assert not w.cso.active
    # the coordinators hear about it (the outbox holds their notifications), and no one outside
    told = set(
        OutboxMessage.objects.filter(case_type="accession.memberfile", event="suspend")
        .exclude(recipient=None)
        .values_list("recipient__username", flat=True)
    )
    assert told == {w.cso_coordinator.username}

    coordinator = client_for(w.cso_coordinator)
    refused = post(coordinator, f"/api/v1/requests/{request.reference}/transitions/submit/")
    assert refused.status_code in (403, 404, 409), refused.content
    request.refresh_from_db()
    assert request.state == "draft"
    # a suspended member's coordinator cannot dodge the suspension by applying again
    again = post(
        client_for(w.cso_coordinator),
        "/api/v1/accessions/",
        {"name": "Another name", "name_ar": "اسم آخر", "side": "civil", "kind": "cso", "registration_number": "1"},
    )
    assert again.status_code == 403

    reinstated = post(secretariat, url + "reinstate/", {"reason": "Statutes renewed."})
    assert reinstated.status_code == 200 and reinstated.json()["state"] == "active"
    sent = post(client_for(w.cso_coordinator), f"/api/v1/requests/{request.reference}/transitions/submit/")
    assert sent.status_code == 200, sent.content
