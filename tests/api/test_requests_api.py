"""Request endpoints beyond the happy path: sessions, restricted outcomes, the schema follows the flow."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.cases import platform_only
from engine.models import AccessLogEntry, AuditEvent, OutboxMessage
from workflows.partnership import services
from workflows.partnership.flows import RequestFlow

from .conftest import draft, outcome_data, walk

pytestmark = pytest.mark.django_db


def test_a_browser_session_works_and_its_writes_need_the_csrf_token(partnership_world):
    # given a signed-in browser session with CSRF checks on, as in production
    world = partnership_world
    browser = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(world.cso_coordinator)
    request = draft(world)
    # when / then: reads work, a write without the token is refused and changes nothing
    assert browser.get("/api/v1/me/").json()["username"] == "cso-coordinator"
    refused = browser.post(f"/api/v1/requests/{request.reference}/transitions/submit/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_permitted"
    request.refresh_from_db()
    assert request.state == "draft"


def test_reading_a_restricted_outcome_is_logged_without_notifying_anyone(partnership_world, client_for):
    # given a request whose outcome is restricted
    world = partnership_world
    request = walk(world, draft(world), "meeting_held")
    services.outcome_document(
        request=request,
        actor=world.secretariat,
        data=outcome_data(visibility="restricted", restriction_reason="Names minors."),
    )
    outbox_before = OutboxMessage.objects.count()
    # when a party, then an auditor, read it
    party = client_for(world.ministry_coordinator).get(f"/api/v1/requests/{request.reference}/")
    auditor = client_for(world.auditor).get(f"/api/v1/requests/{request.reference}/history/")
    # then both see it, each read is written to the access log (not the case's chain), and nobody is notified
    assert party.status_code == auditor.status_code == 200
    assert party.json()["outcome"]["minutes"] and party.json()["outcome_restricted"] is True
    reads = AccessLogEntry.objects.filter(case_id=request.pk).order_by("seq")
    assert [(e.actor.username, e.actor_role, e.what) for e in reads] == [
        ("ministry-coordinator", "party", "outcome"),
        ("auditor", "auditor", "history"),
    ]
    assert not AuditEvent.objects.filter(case_id=request.pk, action="restricted_read").exists()
    assert OutboxMessage.objects.count() == outbox_before
    # and someone outside the request does not even learn it exists
    assert client_for(world.other_cso_coordinator).get(f"/api/v1/requests/{request.reference}/").status_code == 404


def test_reading_a_public_outcome_is_not_audited(partnership_world, client_for):
    world = partnership_world
    request = walk(world, draft(world), "outcome_documented")
    client_for(world.cso_coordinator).get(f"/api/v1/requests/{request.reference}/")
    assert not AccessLogEntry.objects.exists()


def test_every_transition_a_person_can_run_has_an_endpoint_typed_from_its_form(api_client):
    # given the live schema
    schema = api_client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    # then each transition with a role has its own documented operation whose body is its form
    for spec in RequestFlow.specs().values():
        path = f"/api/v1/requests/{{reference}}/transitions/{spec.name}/"
        if platform_only(spec):
            assert path not in schema["paths"], f"{spec.name} is the platform's own step"
            continue
        operation = schema["paths"][path]["post"]
        assert operation["operationId"] == f"request_transition_{spec.name}"
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
        fields = set(spec.form.base_fields) if spec.form else set()
        if not fields:
            assert "requestBody" not in operation or not operation["requestBody"].get("required"), spec.name
            continue
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert set(components[reference]["properties"]) == fields, spec.name


def test_a_step_only_the_platform_takes_is_explained_not_hidden(partnership_world, client_for):
    # given a request before the committee
    world = partnership_world
    request = walk(world, draft(world), "in_committee")
    # when the chair looks at what can happen and tries the committee's own decision
    options = {
        o["name"]: o for o in client_for(world.chair).get(f"/api/v1/requests/{request.reference}/transitions/").json()
    }
    tried = client_for(world.chair).post(
        f"/api/v1/requests/{request.reference}/transitions/approve/", {}, format="json"
    )
    # then the system step is listed as not allowed, saying why (no quorum yet), and refused
    assert options["approve"]["allowed"] is False
    assert [r["code"] for r in options["approve"]["reasons"]] == ["system_only", "quorum_not_met"]
    assert tried.status_code == 403
    assert tried.json()["reasons"][0]["code"] == "system_only"


def test_unknown_fields_and_wrong_types_on_a_transition_are_refused_per_field(partnership_world, client_for):
    world = partnership_world
    request = walk(world, draft(world), "submitted")
    response = client_for(world.secretariat).post(
        f"/api/v1/requests/{request.reference}/transitions/decline/",
        {"reason": ["not", "text"], "article": 4, "mood": "grumpy"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"reason", "article", "mood"}
    request.refresh_from_db()
    assert request.state == "submitted"


def test_list_filters_and_search(partnership_world, client_for):
    world = partnership_world
    first = draft(world, title="Diversion for minors")
    second = walk(world, draft(world, by="ministry", title="Disability law"), "submitted")
    coordinator = client_for(world.cso_coordinator)

    def refs(**params):
        response = coordinator.get("/api/v1/requests/", params)
        assert response.status_code == 200, response.content
        return {row["reference"] for row in response.json()["results"]}

    assert refs() == {first.reference}  # the ministry's request is not accepted yet: not the CSO's to see
    assert refs(state="draft") == {first.reference}
    assert refs(state="submitted") == set()
    assert refs(search="diversion") == {first.reference}
    assert refs(organization=world.cso.pk) == {first.reference}
    assert refs(theme="no-such-theme") == set()
    ministry = client_for(world.ministry_coordinator)
    assert {r["reference"] for r in ministry.get("/api/v1/requests/", {"state": "submitted"}).json()["results"]} == {
        second.reference
    }
    assert coordinator.get("/api/v1/requests/", {"state": "flying"}).status_code == 400
    assert coordinator.get("/api/v1/requests/", {"page_size": 1000}).status_code == 400


def test_engine_refusals_speak_arabic_when_asked(partnership_world, client_for):
    # given a CSO coordinator asking in Arabic
    world = partnership_world
    request = draft(world)
    client = client_for(world.cso_coordinator, language="ar")
    # when the state does not allow an action, and when the role does not
    wrong_state = client.post(f"/api/v1/requests/{request.reference}/transitions/accept/", {}, format="json")
    services.request_submit(request=request, actor=world.cso_coordinator)
    wrong_role = client.post(f"/api/v1/requests/{request.reference}/transitions/accept/", {}, format="json")
    # then both are explained in Arabic, codes unchanged
    assert wrong_state.status_code == 409
    assert wrong_state.json() == {
        "code": "transition_not_allowed",
        "message": "لا يمكن تنفيذ هذا الإجراء في المرحلة الحالية للملف.",
    }
    assert wrong_role.status_code == 403
    assert wrong_role.json()["message"] == "لا يحق لك تنفيذ هذا الإجراء."
    [reason] = wrong_role.json()["reasons"]
    assert reason["code"] == "not_permitted" and reason["message"].startswith("لا يحق تنفيذ ذلك إلا لـ: ")
    assert "Only" not in reason["message"]
