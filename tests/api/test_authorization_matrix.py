"""Who may do what, over HTTP: every role against every endpoint and transition, state by state.

Each test takes one request to one state and then, for one caller, tries every check of that state,
each inside a savepoint that is rolled back (so one check's success never changes the next one's
ground). The expected table is explicit: a permission granted too widely or refused wrongly fails.

Reading the table: 404 = the caller may not see the request at all, 403 = sees it but may not act,
409 = may act but the case's rules refuse now, 401 = anonymous.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import business_day
from tests.workflows.partnership.conftest import draft, meeting_data, outcome_data, walk
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest

pytestmark = pytest.mark.django_db

ROLES = [
    "secretariat",
    "chair",
    "committee-gov-1",
    "committee-cso-1",
    "auditor",
    "cso-coordinator",
    "ministry-coordinator",
    "other-cso-coordinator",
    "anonymous",
]
OVERSIGHT = {"secretariat", "chair", "committee-gov-1", "auditor"}
COMMITTEE = {"chair", "committee-gov-1", "committee-cso-1"}
STATES = [
    "draft",
    "submitted",
    "in_committee",
    "approved",
    "meeting_scheduled",
    "meeting_held",
    "outcome_documented",
    "follow_up",
    "closed",
]


def visible(state: str, role: str) -> bool:
    """Who sees a CSO's request in each state (the CSO's committee member belongs to the CSO)."""
    if role in {"cso-coordinator", "committee-cso-1"}:
        return True
    if role in OVERSIGHT:
        return state != "draft"
    if role == "ministry-coordinator":
        return state not in {"draft", "submitted"}
    return False


@dataclass
class Check:
    """One call, and the answer expected from each role that may see the request (others: 404/401)."""

    name: str
    method: str
    path: str
    body: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None
    allowed: dict[str, int] = field(default_factory=dict)
    #: the answer of a role that sees the request and is not in ``allowed``
    otherwise: int = 403

    def expected(self, state: str, role: str) -> int:
        if role == "anonymous":
            return 401
        if not visible(state, role):
            return 404
        return self.allowed.get(role, self.otherwise)


def reads(meeting: bool = False) -> list[Check]:
    everyone = 200
    checks = [
        Check("detail", "get", "", otherwise=everyone),
        Check("transitions", "get", "transitions/", otherwise=everyone),
        Check("history", "get", "history/", otherwise=everyone),
        Check("sla", "get", "sla/", otherwise=everyone),
        Check("actions", "get", "actions/", otherwise=everyone),
        Check("votes", "get", "votes/", allowed={role: 200 for role in OVERSIGHT | COMMITTEE}),
        Check("meeting.ics", "get", "meeting.ics", otherwise=200 if meeting else 404),
    ]
    return checks


def transition(name: str, body: Any = None, **allowed: int) -> Check:
    return Check(
        name, "post", f"transitions/{name}/", body, {role.replace("_", "-"): code for role, code in allowed.items()}
    )


def not_from_here(name: str) -> Check:
    """A transition that does not leave this state: refused as such to whoever sees the request."""
    return Check(f"{name} (not from here)", "post", f"transitions/{name}/", otherwise=409)


REASON = {"reason": "The context changed."}
SECRETARIAT_ONLY = {"secretariat": 200}


def future_meeting(world: Any) -> dict[str, Any]:
    return meeting_data(business_day(timezone.now() + dt.timedelta(days=5)))


def restricted_outcome() -> dict[str, Any]:
    return outcome_data(visibility="restricted", restriction_reason="Names minors' cases.")


CHECKS: dict[str, list[Check]] = {
    "draft": [
        *reads(),
        Check("edit", "patch", "", {"title": "A better title"}, {"cso-coordinator": 200}),
        transition("submit", cso_coordinator=200),
        transition("withdraw", REASON, cso_coordinator=200),
        not_from_here("accept"),
        Check("conflict", "post", "conflicts/", {"reason": "I advised them."}, otherwise=409),
    ],
    "submitted": [
        *reads(),
        # who before when: only the requester learns that a submitted request is no longer editable
        Check("edit", "patch", "", {"title": "A better title"}, {"cso-coordinator": 409}, otherwise=403),
        transition("request_info", {"message": "Which courts?"}, secretariat=200),
        transition("accept", secretariat=200),
        transition("decline", {"reason": "Out of scope.", "article": "1"}, secretariat=200),
        transition("withdraw", REASON, cso_coordinator=200),
        not_from_here("submit"),
        Check("conflict", "post", "conflicts/", {"reason": "I advised them."}, {role: 201 for role in COMMITTEE}),
        Check("vote", "post", "votes/", {"decision": "approve"}, otherwise=409),
    ],
    "in_committee": [
        *reads(),
        Check(
            "vote",
            "post",
            "votes/",
            {"decision": "approve"},
            {"chair": 201, "committee-gov-1": 201},
        ),
        Check(
            "conflict",
            "post",
            "conflicts/",
            {"reason": "I advised them."},
            {"chair": 201, "committee-gov-1": 201, "committee-cso-1": 409},
        ),
        transition("decide", {"decision": "approve", "reason": "Casting vote."}, chair=409),
        transition("withdraw", REASON, cso_coordinator=200),
        not_from_here("accept"),
    ],
    "approved": [
        *reads(),
        transition("schedule_meeting", future_meeting, secretariat=200),
        transition("withdraw", REASON, cso_coordinator=200),
        not_from_here("record_meeting"),
        Check("vote", "post", "votes/", {"decision": "approve"}, otherwise=409),
    ],
    "meeting_scheduled": [
        *reads(meeting=True),
        transition("reschedule_meeting", future_meeting, secretariat=200),
        transition("cancel_meeting", REASON, secretariat=200),
        transition("record_meeting", lambda w: {"attended_organizations": [w.cso.pk, w.ministry.pk]}, secretariat=409),
        transition("withdraw", REASON, cso_coordinator=200),
    ],
    "meeting_held": [
        *reads(meeting=True),
        transition("document_outcome", restricted_outcome(), secretariat=200),
        not_from_here("withdraw"),
        Check("add action", "post", "actions/", lambda w: action_body(w), {"secretariat": 409}),
    ],
    "outcome_documented": [
        *reads(meeting=True),
        transition("confirm_minutes", cso_coordinator=200, ministry_coordinator=200),
        transition(
            "minutes_correction_requested",
            {"correction": "Paragraph 2 is wrong."},
            cso_coordinator=200,
            ministry_coordinator=200,
        ),
        transition("minutes_revised", {"minutes": "Revised minutes.", "note": "Paragraph 2."}, secretariat=200),
        transition("minutes_correction_rejected", REASON, secretariat=409),
        transition("start_follow_up", secretariat=409),
        transition("close", secretariat=409),
        Check("add action", "post", "actions/", lambda w: action_body(w), {"secretariat": 201}),
    ],
    "follow_up": [
        *reads(meeting=True),
        transition("close", secretariat=409),
        Check("add action", "post", "actions/", lambda w: action_body(w), {"secretariat": 201}),
        Check(
            "action done",
            "patch",
            "action:",
            {"status": "done"},
            {"secretariat": 200, "ministry-coordinator": 200},
        ),
        Check("action retrieve", "get", "action:", otherwise=200),
    ],
    "closed": [
        *reads(meeting=True),
        transition("reopen", REASON, secretariat=200),
        not_from_here("close"),
        # who before when: only the owner and the secretariat learn that the state no longer allows it
        Check(
            "action done",
            "patch",
            "action:",
            {"status": "done"},
            {"secretariat": 409, "ministry-coordinator": 409},
            otherwise=403,
        ),
    ],
}


def action_body(world: Any) -> dict[str, Any]:
    return {
        "description": "Draft implementing guidelines",
        "owner_organization": world.ministry.pk,
        "due_date": "2027-03-31",
    }


def take_to(world: Any, state: str) -> DialogueRequest:
    """A CSO request (the ministry as counterpart) in ``state``, its outcome restricted, one ministry action."""
    request = draft(world, by="cso")
    if state in {"draft", "submitted", "in_committee", "approved", "meeting_scheduled", "meeting_held"}:
        return walk(world, request, state)
    walk(world, request, "meeting_held")
    services.outcome_document(request=request, actor=world.secretariat, data=restricted_outcome())
    if state == "outcome_documented":
        return request
    services.minutes_confirm(request=request, actor=world.cso_coordinator)
    services.minutes_confirm(request=request, actor=world.ministry_coordinator)
    services.request_follow_up_start(request=request, actor=world.secretariat)
    item = services.action_item_create(
        request=request,
        actor=world.secretariat,
        description="Guidelines",
        owner_organization=world.ministry,
        due_date="2027-03-31",
    )
    world.extra["action"] = item
    if state == "closed":
        services.action_item_update(item=item, actor=world.secretariat, status="done")
        services.request_close(request=request, actor=world.secretariat)
    return request


def client_for_role(world: Any, role: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if role != "anonymous":
        user = next(u for u in _people(world) if u.username == role)
        client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def _people(world: Any) -> list[Any]:
    return [
        world.secretariat,
        world.chair,
        *world.gov,
        *world.cso_seats,
        world.auditor,
        world.cso_coordinator,
        world.ministry_coordinator,
        world.other_cso_coordinator,
    ]


def call(client: APIClient, world: Any, request: DialogueRequest, check: Check) -> int:
    if check.path.startswith("action:"):
        url = f"/api/v1/actions/{world.extra['action'].pk}/"
    else:
        url = f"/api/v1/requests/{request.reference}/{check.path}"
    body = check.body(world) if callable(check.body) else check.body
    # Roll every check back: the next one starts from the same state.
    with transaction.atomic():
        if check.method == "get":
            response = client.get(url)
        else:
            response = getattr(client, check.method)(url, body or {}, format="json")
        transaction.set_rollback(True)
    assert response.status_code != 500, response.content
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_authorization_matrix(partnership_world, state, role):
    # given a request in ``state`` and a caller in ``role``
    world = partnership_world
    request = take_to(world, state)
    assert request.state == state
    client = client_for_role(world, role)
    # when the caller tries every check of the state
    answers = {check.name: call(client, world, request, check) for check in CHECKS[state]}
    # then each answer is the expected one
    assert answers == {check.name: check.expected(state, role) for check in CHECKS[state]}
    # and the list shows the request exactly when the detail does
    listed = client.get("/api/v1/requests/", {"page_size": 100})
    if role == "anonymous":
        assert listed.status_code == 401
    else:
        references = [row["reference"] for row in listed.json()["results"]]
        assert (request.reference in references) == visible(state, role)


@pytest.mark.parametrize(
    "role, expected",
    [
        ("secretariat", {"me": 200, "organizations": 200, "themes": 200, "verify": 403, "create": 403}),
        ("chair", {"me": 200, "organizations": 200, "themes": 200, "verify": 403, "create": 403}),
        ("committee-gov-1", {"me": 200, "organizations": 200, "themes": 200, "verify": 403, "create": 403}),
        ("committee-cso-1", {"me": 200, "organizations": 200, "themes": 200, "verify": 403, "create": 403}),
        ("auditor", {"me": 200, "organizations": 200, "themes": 200, "verify": 200, "create": 403}),
        ("cso-coordinator", {"me": 200, "organizations": 200, "themes": 200, "verify": 403, "create": 201}),
        ("ministry-coordinator", {"me": 200, "organizations": 200, "themes": 200, "verify": 403, "create": 403}),
        ("other-cso-coordinator", {"me": 200, "organizations": 200, "themes": 200, "verify": 403, "create": 403}),
        ("anonymous", {"me": 401, "organizations": 401, "themes": 401, "verify": 401, "create": 401}),
    ],
)
def test_authorization_matrix_of_case_free_endpoints(partnership_world, role, expected):
    # given a draft body for the CSO (only its coordinator may open a request for it)
    world = partnership_world
    client = client_for_role(world, role)
    body = {
        "title": "Diversion for minors",
        "summary": "A roundtable.",
        "theme": world.theme.code,
        "format": "roundtable",
        "requesting_organization": world.cso.pk,
        "counterpart_organizations": [world.ministry.pk],
    }
    # when
    answers = {
        "me": client.get("/api/v1/me/").status_code,
        "organizations": client.get("/api/v1/organizations/").status_code,
        "themes": client.get("/api/v1/themes/").status_code,
        "verify": client.get("/api/v1/audit/verify/").status_code,
        "create": client.post("/api/v1/requests/", body, format="json").status_code,
    }
    # then
    assert answers == expected
