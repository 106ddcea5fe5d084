"""Opening and editing a draft, and who hears about a request."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from engine.errors import InvalidInput, NotPermitted, TransitionNotAllowedError
from engine.models import AuditEvent
from workflows.partnership import services
from workflows.partnership.flows import AUDIENCES, RequestFlow

from .conftest import draft, request_data, walk

pytestmark = pytest.mark.django_db


def test_create_makes_an_audited_draft(partnership_world):
    w = partnership_world
    request = draft(w, by="ministry")
    assert (request.state, request.created_by, request.requesting_organization) == (
        "draft",
        w.ministry_coordinator,
        w.ministry,
    )
    assert list(request.counterpart_organizations.all()) == [w.cso]
    event = AuditEvent.objects.get(case_id=request.pk)
    assert (event.action, event.to_state, event.data["counterpart_organizations"]) == ("create", "draft", [w.cso.pk])


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"title": "", "summary": ""}, {"title", "summary"}),
        ({"theme": "astrology"}, {"theme"}),
        ({"format": "party"}, {"format"}),
        ({"counterpart_organizations": []}, {"counterpart_organizations"}),
        ({"counterpart_organizations": ["x"]}, {"counterpart_organizations"}),
        ({"period_start": "2027-02-01", "period_end": "2027-01-01"}, {"period_end"}),
        ({"expected_participants": -3}, {"expected_participants"}),
        ({"requesting_organization": "abc"}, {"requesting_organization"}),
    ],
)
def test_create_reports_bad_fields(partnership_world, overrides, fields):
    w = partnership_world
    with pytest.raises(InvalidInput) as caught:
        services.request_create(actor=w.cso_coordinator, data=request_data(w, **overrides))
    assert set(caught.value.errors) == fields
    assert not AuditEvent.objects.exists()


def test_create_for_an_organization_one_does_not_coordinate_is_refused(partnership_world):
    w = partnership_world
    with pytest.raises(NotPermitted):
        services.request_create(actor=w.ministry_coordinator, data=request_data(w, by="cso"))
    with pytest.raises(InvalidInput) as caught:
        services.request_create(
            actor=w.cso_coordinator, data=request_data(w, counterpart_organizations=[w.cso.pk, w.ministry.pk])
        )
    assert list(caught.value.errors) == ["counterpart_organizations"]


def test_create_accepts_form_data(partnership_world):
    w = partnership_world
    data = QueryDict(mutable=True)
    for key, value in request_data(w).items():
        if key == "counterpart_organizations":
            data.setlist(key, [str(pk) for pk in value])
        else:
            data[key] = str(value)
    assert isinstance(data, MultiValueDict)
    request = services.request_create(actor=w.cso_coordinator, data=data)
    assert list(request.counterpart_organizations.all()) == [w.ministry]


def test_update_changes_a_draft_and_audits_each_field(partnership_world):
    w = partnership_world
    request = draft(w)
    services.request_update(
        request=request,
        actor=w.cso_coordinator,
        data={"title": "Diversion for minors", "counterpart_organizations": [w.ministry.pk, w.other_cso.pk]},
    )
    assert request.title == "Diversion for minors"
    assert set(request.counterpart_organizations.all()) == {w.ministry, w.other_cso}
    event = AuditEvent.objects.filter(case_id=request.pk).order_by("-seq").first()
    assert event.action == "update"
    assert event.data["changes"]["title"] == ["Alternatives to detention for minors", "Diversion for minors"]
    assert event.data["changes"]["counterpart_organizations"] == [
        [w.ministry.pk],
        sorted([w.ministry.pk, w.other_cso.pk]),
    ]
    assert request.version == 1


def test_update_is_for_the_requester_while_draft(partnership_world):
    w = partnership_world
    request = draft(w)
    with pytest.raises(NotPermitted):
        services.request_update(request=request, actor=w.secretariat, data={"title": "x"})
    with pytest.raises(InvalidInput):
        services.request_update(request=request, actor=w.cso_coordinator, data={"format": "rave"})
    walk(w, request, "submitted")
    with pytest.raises(TransitionNotAllowedError):
        services.request_update(request=request, actor=w.cso_coordinator, data={"title": "x"})
    request.refresh_from_db()
    assert request.title == "Alternatives to detention for minors"


def test_idempotency_key_replays_a_transition(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "submitted")
    services.request_transition(
        request=request, name="request_info", actor=w.secretariat, data={"message": "?"}, idempotency_key="k1"
    )
    services.request_transition(
        request=request, name="request_info", actor=w.secretariat, data={"message": "?"}, idempotency_key="k1"
    )
    assert request.info_requests.count() == 1
    assert AuditEvent.objects.filter(case_id=request.pk, action="request_info").count() == 1


def usernames(users) -> set[str]:
    return {user.username for user in users}


def test_audiences_name_the_right_people(partnership_world):
    w = partnership_world
    request = walk(w, draft(w), "in_committee")
    services.vote_cast(request=request, actor=w.gov[0], decision="abstain")
    flow = RequestFlow(request)
    assert usernames(flow.audience("requester")) == {"cso-coordinator"}
    assert usernames(flow.audience("counterparts")) == {"ministry-coordinator"}
    assert usernames(flow.audience("parties")) == {"cso-coordinator", "ministry-coordinator"}
    assert usernames(flow.audience("secretariat")) == {"secretariat", "secretariat-lead"}
    assert usernames(flow.audience("secretariat_lead")) == {"secretariat-lead"}
    assert usernames(flow.audience("committee")) == {
        "chair",
        "committee-gov-1",
        "committee-gov-2",
        "committee-cso-1",
        "committee-cso-2",
    }
    assert usernames(flow.audience("pending_voters")) == {"chair", "committee-gov-2", "committee-cso-2"}
    assert usernames(flow.audience("chair")) == {"chair"}
    assert usernames(flow.audience("auditors")) == {"auditor"}
    assert flow.audience("invitees") == [] and flow.audience("nobody") == []
    walk(w, request, "outcome_documented")
    services.minutes_confirm(request=request, actor=w.cso_coordinator)
    services.minutes_confirm(request=request, actor=w.ministry_coordinator)
    services.action_item_create(
        request=request, actor=w.secretariat, description="x", owner_organization=w.ministry, due_date="2027-01-01",
        owner_person=w.secretariat.pk,
    )  # fmt: skip
    flow = RequestFlow(request)
    assert usernames(flow.audience("invitees")) == {"cso-coordinator", "ministry-coordinator"}
    assert usernames(flow.audience("action_owners")) == {"ministry-coordinator", "secretariat"}
    assert set(AUDIENCES) >= {"requester", "counterparts", "parties", "pending_voters", "invitees", "action_owners"}
