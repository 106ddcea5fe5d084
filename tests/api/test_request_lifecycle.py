"""A dialogue request's whole life through HTTP only, as an outside client would drive it."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from engine.models import AuditEvent
from tests.factories import business_day

pytestmark = pytest.mark.django_db

PASSWORD = "pw-123456"


class Client:
    """An outside client: signs in with a password, then sends JSON with its token."""

    def __init__(self, username: str) -> None:
        self.http = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        answer = self.http.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
        assert answer.status_code == 200, answer.content
        self.http.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")

    def get(self, path: str, expect: int = 200, **params):
        response = self.http.get(f"/api/v1/{path}", params)
        assert response.status_code == expect, response.content
        return response.json() if response["Content-Type"].startswith("application/json") else response.content

    def send(self, method: str, path: str, body=None, expect: int = 200, **headers):
        response = getattr(self.http, method)(f"/api/v1/{path}", body or {}, format="json", **headers)
        assert response.status_code == expect, response.content
        return response.json() if response.content else None

    def post(self, path: str, body=None, expect: int = 200, **headers):
        return self.send("post", path, body, expect, **headers)

    def act(self, ref: str, name: str, body=None, expect: int = 200, **headers):
        return self.post(f"requests/{ref}/transitions/{name}/", body, expect, **headers)


def test_a_request_lives_from_draft_to_closed_over_http(partnership_world, settings):
    # The story jumps days ahead (the meeting is held); tokens must outlive that jump.
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(days=30)}
    w = partnership_world
    cso, ministry, secretariat = Client("cso-coordinator"), Client("ministry-coordinator"), Client("secretariat")

    # who am I, and what can I pick
    me = cso.get("me/")
    assert me["username"] == "cso-coordinator" and "coordinator" in me["roles"]
    assert [org["id"] for org in me["organizations"]] == [w.cso.pk]
    themes = cso.get("themes/")["results"]
    assert "juvenile-justice" in [theme["code"] for theme in themes]
    organizations = {org["id"]: org for org in cso.get("organizations/", page_size=100)["results"]}
    assert organizations[w.ministry.pk]["side"] == "public"

    # a draft, edited, then submitted
    created = cso.post(
        "requests/",
        {
            "title": "Alternatives to detention",
            "summary": "A roundtable on diversion measures.",
            "theme": "juvenile-justice",
            "format": "roundtable",
            "requesting_organization": w.cso.pk,
            "counterpart_organizations": [w.ministry.pk],
        },
        expect=201,
    )
    ref = created["reference"]
    assert created["state"] == "draft" and ref.startswith("DR-")
    assert ministry.get(f"requests/{ref}/", expect=404)["code"] == "not_found"
    assert cso.send("patch", f"requests/{ref}/", {"title": "Alternatives to detention for minors"})["title"] == (
        "Alternatives to detention for minors"
    )
    submit = {t["name"]: t for t in cso.get(f"requests/{ref}/transitions/")}["submit"]
    assert submit["allowed"] is True
    assert cso.act(ref, "submit", expect=200, HTTP_IDEMPOTENCY_KEY="submit-1")["state"] == "submitted"
    assert cso.act(ref, "submit", HTTP_IDEMPOTENCY_KEY="submit-1")["state"] == "submitted"

    # triage: a question, an answer, acceptance
    secretariat.act(ref, "request_info", {"message": "Which courts are concerned?"})
    cso.act(ref, "provide_info", {"message": "Beirut and Tripoli."})
    assert secretariat.act(ref, "accept")["state"] == "in_committee"
    assert ministry.get(f"requests/{ref}/")["state"] == "in_committee"

    # the committee: the conflicted member is refused, the others settle it
    conflicted = Client("committee-cso-1")
    assert conflicted.post(f"requests/{ref}/votes/", {"decision": "approve"}, expect=403)["reasons"][0]["code"] == (
        "recused"
    )
    gov1 = Client("committee-gov-1")
    gov1.post(f"requests/{ref}/votes/", {"decision": "approve"}, expect=201)
    assert gov1.post(f"requests/{ref}/votes/", {"decision": "reject", "reason": "x"}, expect=409)["code"] == (
        "already_voted"
    )
    Client("committee-cso-2").post(f"requests/{ref}/votes/", {"decision": "approve", "reason": "In scope."}, expect=201)
    vote = Client("committee-gov-2").post(f"requests/{ref}/votes/", {"decision": "approve"}, expect=201)
    assert vote["request_state"] == "approved"
    assert len(secretariat.get(f"requests/{ref}/votes/")["results"]) == 3

    # the meeting: scheduled, fetched as iCalendar, held, documented
    start = business_day(timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    meeting = {
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "location": "Grand Serail, Beirut",
        "agenda": "1. Opening\n2. Diversion",
    }
    assert secretariat.act(ref, "schedule_meeting", meeting)["meeting"]["location"] == "Grand Serail, Beirut"
    ics = ministry.get(f"requests/{ref}/meeting.ics")
    assert b"BEGIN:VCALENDAR" in ics and b"Grand Serail" in ics
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(hours=3)):
        held = secretariat.act(ref, "record_meeting", {"attended_organizations": [w.cso.pk, w.ministry.pk]})
    assert held["state"] == "meeting_held"
    outcome = {
        "minutes": "The parties agreed on two follow-up steps.",
        "summary": "Guidelines for diversion.",
        "recommendations": ["Draft guidelines", "Train judges"],
        "what_changed": "The ministry committed to draft guidelines.",
        "who_changed": "Juvenile protection unit.",
        "significance": "First written commitment.",
        "contribution": "Evidence from CSO case work.",
        "evidence": "Signed minutes.",
        "visibility": "public",
    }
    assert secretariat.act(ref, "document_outcome", outcome)["outcome"]["recommendations"] == [
        "Draft guidelines",
        "Train judges",
    ]
    cso.act(ref, "confirm_minutes")
    assert ministry.act(ref, "confirm_minutes")["minutes_confirmed_at"] is not None

    # follow-up: an action owned by the ministry, done, then the request closes
    secretariat.act(ref, "start_follow_up")
    action = secretariat.post(
        f"requests/{ref}/actions/",
        {"description": "Draft implementing guidelines", "owner_organization": w.ministry.pk, "due_date": "2027-03-31"},
        expect=201,
    )
    assert secretariat.act(ref, "close", expect=409)["reasons"][0]["code"] == "actions_open"
    assert ministry.send("patch", f"actions/{action['id']}/", {"status": "done"})["status"] == "done"
    closed = secretariat.act(ref, "close")
    assert closed["state"] == "closed" and closed["version"] > 10

    # the history tells it all, and the chains verify
    history = cso.get(f"requests/{ref}/history/")["results"]
    actions = [event["action"] for event in history]
    assert actions[0] == "create" and actions[-1] == "close"
    assert actions.count("submit") == 1 and actions.count("vote_cast") == 3
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(history, history[1:], strict=False))
    assert [clock["status"] for clock in cso.get(f"requests/{ref}/sla/")] and True
    assert cso.get("audit/verify/", expect=403)["code"] == "not_permitted"
    report = Client("auditor").get("audit/verify/")
    assert report["ok"] is True and report["events_checked"] == AuditEvent.objects.count()
