"""A small platform to walk requests through: people with roles, organizations, the committee, the charter."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from partners.models import Organization, PlatformRole, Theme
from tests.factories import (
    MembershipFactory,
    business_day,
    committee_member,
    ensure_seed_data,
    member_organization,
    platform_user,
)
from workflows.partnership import services
from workflows.partnership.models import ActionItem, DialogueRequest


@dataclass
class World:
    secretariat: Any
    secretariat_lead: Any
    chair: Any
    gov: list[Any]
    cso_seats: list[Any]
    auditor: Any
    cso: Organization
    cso_coordinator: Any
    ministry: Organization
    ministry_coordinator: Any
    other_cso: Organization
    other_cso_coordinator: Any
    theme: Theme
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conflicted(self) -> Any:
        """committee-cso-1: a member of the requesting CSO."""
        return self.cso_seats[0]

    @property
    def committee(self) -> list[Any]:
        return [self.chair, *self.gov, *self.cso_seats]


@pytest.fixture
def partnership_world(db) -> World:
    ensure_seed_data()
    cso, cso_coordinator = member_organization(
        coordinator="cso-coordinator", name="Lebanese Association for Juvenile Rights", cso=True
    )
    ministry, ministry_coordinator = member_organization(
        coordinator="ministry-coordinator", name="Ministry of Social Affairs", ministry=True
    )
    other_cso, other_cso_coordinator = member_organization(
        coordinator="other-cso-coordinator", name="Network for Disability Rights", cso=True
    )
    conflicted = committee_member("civil", "committee-cso-1")
    MembershipFactory(user=conflicted, organization=cso, role="member")
    return World(
        secretariat=platform_user(PlatformRole.Role.SECRETARIAT, "secretariat"),
        secretariat_lead=platform_user(PlatformRole.Role.SECRETARIAT_LEAD, "secretariat-lead"),
        chair=committee_member("public", "chair", chair=True),
        gov=[committee_member("public", "committee-gov-1"), committee_member("public", "committee-gov-2")],
        cso_seats=[conflicted, committee_member("civil", "committee-cso-2")],
        auditor=platform_user(PlatformRole.Role.AUDITOR, "auditor"),
        cso=cso,
        cso_coordinator=cso_coordinator,
        ministry=ministry,
        ministry_coordinator=ministry_coordinator,
        other_cso=other_cso,
        other_cso_coordinator=other_cso_coordinator,
        theme=Theme.objects.get(code="juvenile-justice"),
    )


@contextlib.contextmanager
def travel(to: dt.datetime) -> Iterator[None]:
    """Run the block as if it were ``to`` (every ``timezone.now()`` call answers it)."""
    with mock.patch("django.utils.timezone.now", return_value=to):
        yield


def request_data(world: World, *, by: str = "cso", **overrides: Any) -> dict[str, Any]:
    requesting, counterpart = (world.cso, world.ministry) if by == "cso" else (world.ministry, world.cso)
    data = {
        "title": "Alternatives to detention for minors",
        "summary": "A roundtable on diversion measures in the juvenile justice law.",
        "policy_question": "How can diversion be applied before trial?",
        "theme": world.theme.code,
        "format": "roundtable",
        "requesting_organization": requesting.pk,
        "counterpart_organizations": [counterpart.pk],
        "period_start": "2026-12-01",
        "period_end": "2026-12-20",
        "expected_participants": 25,
        "language": "both",
    }
    data.update(overrides)
    return data


def draft(world: World, *, by: str = "cso", **overrides: Any) -> DialogueRequest:
    actor = world.cso_coordinator if by == "cso" else world.ministry_coordinator
    return services.request_create(actor=actor, data=request_data(world, by=by, **overrides))


def requester_of(world: World, request: DialogueRequest) -> Any:
    return world.cso_coordinator if request.requesting_organization_id == world.cso.pk else world.ministry_coordinator


def meeting_data(start: dt.datetime | None = None, **overrides: Any) -> dict[str, Any]:
    start = start or business_day(timezone.now() + dt.timedelta(days=3))
    data = {
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "location": "Office of the Minister of State for Administrative Reform, Beirut",
        "agenda": "1. Opening\n2. Diversion measures\n3. Recommendations",
    }
    data.update(overrides)
    return data


def outcome_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "minutes": "The parties discussed diversion measures and agreed on two follow-up steps.",
        "summary": "Agreement to draft implementing guidelines for diversion.",
        "recommendations": ["Draft implementing guidelines", "Train juvenile judges"],
        "agreements": "The ministry leads the drafting with the CSO's input.",
        "what_changed": "The ministry committed to draft guidelines.",
        "who_changed": "Ministry of Social Affairs, juvenile protection unit.",
        "significance": "First written commitment on diversion since the 2002 law.",
        "contribution": "The roundtable brought the evidence from CSO case work.",
        "evidence": "Signed minutes; ministry memo 14/2026.",
        "visibility": "public",
    }
    data.update(overrides)
    return data


def walk(world: World, request: DialogueRequest, to: str) -> DialogueRequest:
    """Take ``request`` along the main path until it reaches state ``to`` (fast set-up for one step's tests)."""
    order = [
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
    requester = requester_of(world, request)
    while request.state != to:
        state = request.state
        if state == "draft":
            services.request_submit(request=request, actor=requester)
        elif state == "submitted":
            services.request_accept(request=request, actor=world.secretariat)
        elif state == "in_committee":
            for member in (world.gov[0], world.cso_seats[1], world.gov[1], world.chair):
                voted = request.votes.filter(member=member, round=request.vote_round).exists()
                if request.state == "in_committee" and not voted:
                    services.vote_cast(request=request, actor=member, decision="approve")
        elif state == "approved":
            services.meeting_schedule(request=request, actor=world.secretariat, data=meeting_data())
        elif state == "meeting_scheduled":
            meeting = request.meetings.get(status="scheduled")
            # The meeting day has come: start times are moved into the past rather than the clock forward.
            meeting.starts_at = timezone.now() - dt.timedelta(hours=2)
            meeting.ends_at = timezone.now() - dt.timedelta(minutes=5)
            meeting.save(update_fields=["starts_at", "ends_at"])
            services.meeting_record(
                request=request, actor=world.secretariat, attended_organizations=[world.cso.pk, world.ministry.pk]
            )
        elif state == "meeting_held":
            services.outcome_document(request=request, actor=world.secretariat, data=outcome_data())
        elif state == "outcome_documented":
            if request.minutes_confirmed_at is None:
                services.minutes_confirm(request=request, actor=world.cso_coordinator)
                services.minutes_confirm(request=request, actor=world.ministry_coordinator)
            elif to == "closed" and not request.action_items.exists():
                services.request_close(request=request, actor=world.secretariat)
            else:
                services.request_follow_up_start(request=request, actor=world.secretariat)
        elif state == "follow_up":
            for item in request.action_items.exclude(status__in=[ActionItem.Status.DONE, ActionItem.Status.DROPPED]):
                services.action_item_update(item=item, actor=world.secretariat, status="done")
            services.request_close(request=request, actor=world.secretariat)
        else:
            raise AssertionError(f"cannot walk from {state} to {to}")
        assert order.index(request.state) > order.index(state) or request.state == state == "outcome_documented"
    return request


def confirm_minutes(world: World, request: DialogueRequest) -> DialogueRequest:
    """Both parties confirm the minutes of the documented outcome."""
    services.minutes_confirm(request=request, actor=world.cso_coordinator)
    services.minutes_confirm(request=request, actor=world.ministry_coordinator)
    return request
