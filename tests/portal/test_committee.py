from __future__ import annotations

import pytest

from engine.models import AuditEvent
from workflows.partnership.models import ConflictDeclaration, DialogueRequest, Vote

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def vote(client, member, case, **data):
    client.force_login(member)
    return client.post(url("portal:request_vote", "en", reference=case.reference), data, headers=HTMX)


def test_a_member_sees_the_vote_form_and_votes(client, world):
    # given
    case = walk(world, draft(world), "in_committee")
    client.force_login(world.gov[0])
    page = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    assert "Cast your vote" in page and "Declare a conflict of interest" in page
    # when
    response = vote(client, world.gov[0], case, decision="approve")
    # then
    assert response.status_code == 200
    assert "Your vote is recorded." in response.content.decode()
    assert Vote.objects.get(request=case, member=world.gov[0]).decision == "approve"
    assert AuditEvent.objects.filter(case_id=case.pk, action="vote_cast", actor=world.gov[0]).exists()
    # and the form is gone: one vote per round
    again = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    assert "Cast your vote" not in again


def test_the_vote_that_settles_it_approves_the_request(client, world):
    case = walk(world, draft(world), "in_committee")
    vote(client, world.gov[0], case, decision="approve")
    vote(client, world.cso_seats[1], case, decision="approve")
    response = vote(client, world.gov[1], case, decision="approve")
    assert response.status_code == 200
    assert DialogueRequest.objects.get(pk=case.pk).state == "approved"


def test_a_reject_vote_needs_a_reason(client, world):
    case = walk(world, draft(world), "in_committee")
    response = vote(client, world.gov[0], case, decision="reject", reason="")
    assert response.status_code == 400
    assert "must give a reason" in response.content.decode()
    assert not Vote.objects.filter(request=case).exists()


def test_a_recused_member_is_refused_with_the_article(client, world):
    # given: committee-cso-1 belongs to the requesting CSO
    case = walk(world, draft(world), "in_committee")
    client.force_login(world.conflicted)
    page = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    assert "Cast your vote" not in page
    # when: the vote is forced anyway
    response = vote(client, world.conflicted, case, decision="approve")
    # then
    assert response.status_code == 403
    assert "recused" in response.content.decode() and "Charter article 5" in response.content.decode()
    assert not Vote.objects.filter(request=case).exists()


def test_a_member_declares_a_conflict_and_is_recused(client, world):
    case = walk(world, draft(world), "in_committee")
    client.force_login(world.gov[1])
    response = client.post(
        url("portal:request_conflict", "en", reference=case.reference),
        {"reason": "My brother chairs the CSO's board."},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert ConflictDeclaration.objects.filter(request=case, member=world.gov[1], automatic=False).exists()
    assert AuditEvent.objects.filter(case_id=case.pk, action="conflict_declared").exists()


def test_a_conflict_needs_a_reason(client, world):
    case = walk(world, draft(world), "in_committee")
    client.force_login(world.gov[1])
    response = client.post(
        url("portal:request_conflict", "en", reference=case.reference), {"reason": " "}, headers=HTMX
    )
    assert response.status_code == 400
    assert not ConflictDeclaration.objects.filter(request=case, member=world.gov[1]).exists()


def test_votes_are_refused_outside_the_committee_stage(client, world):
    case = walk(world, draft(world), "approved")
    response = vote(client, world.gov[0], case, decision="approve")
    assert response.status_code == 409
