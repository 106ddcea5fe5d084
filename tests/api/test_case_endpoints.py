"""The generic case endpoints, on the sample ticket flow: nothing here knows about dialogue requests."""

from __future__ import annotations

import pytest

import engine
from engine.models import AuditEvent, IdempotencyRecord, OutboxMessage
from workflows.sample.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.ticket_urls")]


@pytest.fixture
def staff(make_user):
    return make_user("staff", is_staff=True)


@pytest.fixture
def owner(make_user):
    return make_user("owner")


@pytest.fixture
def ticket(staff, owner):
    return engine.create_case(Ticket, actor=staff, title="Printer", owner=owner)


def url(ticket, rest=""):
    return f"/api/v1/tickets/{ticket.reference}/{rest}"


def test_transitions_list_says_what_the_caller_may_do_and_why_not(client_for, ticket, owner, staff):
    # when
    as_owner = client_for(owner).get(url(ticket, "transitions/"))
    # then
    assert as_owner.status_code == 200
    assert as_owner.json() == [
        {"name": "open", "label": "Open", "target": "open", "targets": ["open"], "allowed": True, "reasons": []},
    ]
    ticket.title = "  "
    ticket.save()
    refused = client_for(staff).get(url(ticket, "transitions/")).json()[0]
    assert refused["allowed"] is False
    assert refused["reasons"] == [{"code": "title_missing", "message": "The ticket needs a title.", "article": "1"}]


def test_a_transition_moves_the_case_and_writes_audit_and_outbox(client_for, ticket, owner):
    # when
    response = client_for(owner).post(url(ticket, "transitions/open/"), {}, format="json")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "reference": ticket.reference,
        "state": "open",
        "version": 1,
        "title": "Printer",
        "note": "",
    }
    event = AuditEvent.objects.get(case_id=ticket.pk, seq=2)
    assert (event.action, event.actor_id, event.ip_address) == ("open", owner.pk, "127.0.0.1")
    assert OutboxMessage.objects.filter(case_id=ticket.pk, event="open").exists()


def test_form_fields_are_validated_per_field_and_change_nothing(client_for, ticket, staff):
    engine.run(ticket, "open", actor=staff)
    client = client_for(staff)
    # when: a wrong type, an unknown field, an empty note
    wrong_type = client.post(url(ticket, "transitions/ask/"), {"note": 12, "colour": "red"}, format="json")
    empty = client.post(url(ticket, "transitions/ask/"), {"note": ""}, format="json")
    # then
    assert wrong_type.status_code == 400
    assert wrong_type.json()["code"] == "invalid"
    assert set(wrong_type.json()["errors"]) == {"note", "colour"}
    assert empty.status_code == 400
    assert list(empty.json()["errors"]) == ["note"]
    ticket.refresh_from_db()
    assert (ticket.state, ticket.audit_seq) == ("open", 2)


@pytest.mark.parametrize(
    "who, path, expected_status, expected_code",
    [
        ("owner", "transitions/resolve/", 409, "transition_not_allowed"),
        ("owner", "transitions/ask/", 409, "transition_not_allowed"),
        ("stranger", "transitions/open/", 404, "not_found"),
        ("anonymous", "transitions/open/", 401, "not_authenticated"),
        ("owner", "transitions/fly/", 404, "unknown_transition"),
    ],
)
def test_refusals_have_the_right_status_and_code(
    client_for, ticket, owner, make_user, who, path, expected_status, expected_code
):
    users = {"owner": owner, "stranger": make_user("stranger"), "anonymous": None}
    response = client_for(users[who]).post(url(ticket, path), {}, format="json")
    assert response.status_code == expected_status
    assert response.json()["code"] == expected_code
    assert Ticket.objects.get(pk=ticket.pk).state == "new"


def test_a_role_refusal_is_403_with_reasons(client_for, ticket, staff, owner):
    engine.run(ticket, "open", actor=staff)
    response = client_for(owner).post(url(ticket, "transitions/resolve/"), {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert response.json()["reasons"][0]["code"] == "not_permitted"


def test_a_guard_failure_is_409_with_reasons_and_articles(client_for, staff, owner):
    ticket = engine.create_case(Ticket, actor=staff, title=" ", owner=owner)
    response = client_for(owner).post(url(ticket, "transitions/open/"), {}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "guard_failed",
        "message": "A charter rule prevents this action.",
        "reasons": [{"code": "title_missing", "message": "The ticket needs a title.", "article": "1"}],
    }


def test_an_idempotency_key_replays_the_first_answer_and_changes_nothing(client_for, ticket, staff, owner):
    client = client_for(owner)
    headers = {"HTTP_IDEMPOTENCY_KEY": "3b0c1a8e-key"}
    first = client.post(url(ticket, "transitions/open/"), {}, format="json", **headers)
    # the case moves on in between
    engine.run(ticket, "ask", actor=staff, data={"note": "which printer?"})
    again = client.post(url(ticket, "transitions/open/"), {}, format="json", **headers)
    # then
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(case_id=ticket.pk, action="open").count() == 1
    assert IdempotencyRecord.objects.count() == 1
    # the same key for another action is refused
    other = client.post(url(ticket, "transitions/answer/"), {"note": "the blue one"}, format="json", **headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.get(pk=ticket.pk).state == "waiting"


@pytest.mark.parametrize("key", ["", "x" * 201, "with space", "é"])
def test_a_malformed_idempotency_key_is_refused(client_for, ticket, owner, key):
    response = client_for(owner).post(url(ticket, "transitions/open/"), {}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Ticket.objects.get(pk=ticket.pk).state == "new"


def test_if_match_with_a_stale_version_is_a_conflict(client_for, ticket, owner):
    response = client_for(owner).post(url(ticket, "transitions/open/"), {}, format="json", HTTP_IF_MATCH='"7"')
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    fresh = client_for(owner).post(url(ticket, "transitions/open/"), {}, format="json", HTTP_IF_MATCH='"0"')
    assert fresh.status_code == 200


def test_history_lists_the_chain_oldest_first(client_for, ticket, staff):
    engine.run(ticket, "open", actor=staff)
    response = client_for(staff).get(url(ticket, "history/"))
    assert response.status_code == 200
    events = response.json()["results"]
    assert [(e["seq"], e["action"], e["from_state"], e["to_state"], e["actor"]) for e in events] == [
        (1, "create", "", "new", "staff"),
        (2, "open", "new", "open", "staff"),
    ]
    assert events[1]["prev_hash"] == events[0]["hash"]


def test_sla_lists_the_clocks(client_for, ticket, staff):
    from engine.models import SlaPolicy

    SlaPolicy.objects.create(flow="sample.ticket", state="open", allowance_days=2, owner="staff")
    engine.run(ticket, "open", actor=staff)
    response = client_for(staff).get(url(ticket, "sla/"))
    assert response.status_code == 200
    [clock] = response.json()
    assert (clock["state"], clock["owner"], clock["status"], clock["paused"]) == ("open", "staff", "on_track", False)
    assert clock["due_at"] > clock["started_at"]


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"note": ', "application/json"),
        ("[1, 2]", "application/json"),
        ('{"note": NaN}', "application/json"),
        ('{"note": "\\u0000"}', "application/json"),
        ('{"note": "\\ud800"}', "application/json"),
        ("note=hello", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_4xx_not_500(client_for, ticket, staff, body, content_type):
    engine.run(ticket, "open", actor=staff)
    response = client_for(staff).generic("POST", url(ticket, "transitions/ask/"), body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] in {"malformed", "invalid", "unsupported_media_type"}
    assert Ticket.objects.get(pk=ticket.pk).state == "open"


def test_the_generated_schema_documents_each_transition_with_its_fields(api_client):
    from django.test import override_settings  # noqa: F401

    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(
        name.rsplit("/", 2)[-2]
        for name in paths
        if "/tickets/{reference}/transitions/" in name and name.count("/") == 7
    ) >= {"open", "ask", "answer", "resolve", "reopen", "expire"}
    ask = paths["/api/v1/tickets/{reference}/transitions/ask/"]["post"]
    body_ref = ask["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][body_ref]["properties"]["note"]["maxLength"] == 500
    assert {"200", "400", "401", "403", "404", "409"} <= set(ask["responses"])
