"""One idempotency store for every POST: creation included; the same key with another body is refused."""

from __future__ import annotations

import pytest

from engine.models import AuditEvent, IdempotencyRecord
from workflows.partnership.models import DialogueRequest

from .conftest import draft

pytestmark = pytest.mark.django_db


def _body(world, **overrides):
    return {
        "title": "Diversion for minors",
        "summary": "A roundtable.",
        "theme": world.theme.code,
        "format": "roundtable",
        "requesting_organization": world.cso.pk,
        "counterpart_organizations": [world.ministry.pk],
        **overrides,
    }


def test_two_creations_with_one_key_create_one_request(partnership_world, client_for):
    # given a coordinator's client and a key
    world = partnership_world
    client = client_for(world.cso_coordinator)
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-0001"}
    # when the same creation is sent twice
    first = client.post("/api/v1/requests/", _body(world), format="json", **headers)
    again = client.post("/api/v1/requests/", _body(world), format="json", **headers)
    # then one request exists and the repeat answers as the first did
    assert first.status_code == again.status_code == 201
    assert again.json()["reference"] == first.json()["reference"]
    assert again["Idempotent-Replayed"] == "true"
    assert DialogueRequest.objects.count() == 1
    assert IdempotencyRecord.objects.filter(key="create-0001").count() == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(partnership_world, client_for):
    world = partnership_world
    client = client_for(world.cso_coordinator)
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-0002"}
    client.post("/api/v1/requests/", _body(world), format="json", **headers)
    # when the key comes back with another title
    other = client.post("/api/v1/requests/", _body(world, title="Another"), format="json", **headers)
    # then 422, and still one request
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert DialogueRequest.objects.count() == 1


def test_a_transition_repeated_with_another_body_is_refused(partnership_world, client_for):
    # given a submitted request the secretariat asks about, with a key
    world = partnership_world
    request = draft(world)
    client_for(world.cso_coordinator).post(
        f"/api/v1/requests/{request.reference}/transitions/submit/", {}, format="json"
    )
    secretariat = client_for(world.secretariat)
    url = f"/api/v1/requests/{request.reference}/transitions/request_info/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "ask-1"}
    first = secretariat.post(url, {"message": "Which ministry?"}, format="json", **headers)
    # when the same key comes with the same body, then with another
    same = secretariat.post(url, {"message": "Which ministry?"}, format="json", **headers)
    other = secretariat.post(url, {"message": "Something else"}, format="json", **headers)
    # then the repeat replays, the other body is refused, and one event was written
    assert first.status_code == same.status_code == 200 and same.json() == first.json()
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert AuditEvent.objects.filter(case_id=request.pk, action="request_info").count() == 1


def test_transitions_list_every_target_a_step_may_end_in(partnership_world, client_for):
    # given a request before the committee
    from tests.workflows.partnership.conftest import walk

    world = partnership_world
    request = walk(world, draft(world), "in_committee")
    # when the chair asks what can happen next
    options = client_for(world.chair).get(f"/api/v1/requests/{request.reference}/transitions/").json()
    # then the casting vote names both ends, approved and rejected
    decide = next(option for option in options if option["name"] == "decide")
    assert set(decide["targets"]) == {"approved", "rejected"}
