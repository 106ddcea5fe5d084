"""Random lives of one dialogue request: whatever anyone tries, the rules of the flow and the audit chain hold.

A hypothesis state machine lets the people of a small world (the secretariat, the chair, committee members
on both sides including one with a conflict of interest, an auditor, the coordinators of the requesting and
counterpart organizations, an unrelated coordinator and a stranger) try transitions, votes, conflict
declarations and follow-up updates with valid and invalid data while time passes and the SLA scan runs.
Who may do what is re-derived here from the roles, independently of the flow's role functions.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from engine import sla
from engine.audit import verify_all
from engine.errors import EngineError, GuardFailed, InvalidInput, NotPermitted, TransitionNotAllowedError
from engine.models import AuditEvent, OutboxMessage
from tests.factories import UserFactory, business_day
from workflows.partnership import committee, services
from workflows.partnership.errors import AlreadyDeclared, AlreadyVoted
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import ActionItem, ConflictDeclaration, DialogueRequest, Vote

from .conftest import draft, meeting_data, outcome_data, travel

pytestmark = pytest.mark.django_db

# --- the rules, written down again from the design (not read from the flow's roles) --------------

SPECS = RequestFlow.specs()
SYSTEM = {"approve", "reject", "lapse", "confirm_minutes_by_silence"}
SECRETARIAT_ONLY = {
    "request_info",
    "accept",
    "decline",
    "schedule_meeting",
    "reschedule_meeting",
    "cancel_meeting",
    "record_meeting",
    "document_outcome",
    "start_follow_up",
    "close",
    "reopen",
    "minutes_revised",
    "minutes_correction_rejected",
}
REQUESTER_ONLY = {"submit", "provide_info", "withdraw", "appeal"}
PARTIES_ONLY = {"confirm_minutes", "minutes_correction_requested"}
CHAIR_ONLY = {"decide"}
# The committee's rule for a side left without eligible members: no one in this world is the secretariat lead.
SECRETARIAT_LEAD_ONLY = {"referred_to_platform", "platform_decided"}
# What moves a request along its main path (the plausible next step prefers these to the exits).
FORWARD = {
    "submit",
    "provide_info",
    "accept",
    "appeal",
    "schedule_meeting",
    "record_meeting",
    "document_outcome",
    "confirm_minutes",
    "start_follow_up",
    "close",
    "reopen",
}
VALID_DUE = "2030-06-15"  # after any time this run lets pass (an earlier one is refused as past)
START = dt.datetime(2027, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Beirut"))
CONFLICT_STATES = {"submitted", "info_requested", "in_committee"}
FOLLOW_UP_STATES = {"outcome_documented", "follow_up"}

ACTORS = [
    "secretariat",
    "chair",
    "gov-1",
    "gov-2",
    "cso-seat-conflicted",
    "cso-seat-2",
    "auditor",
    "cso-coordinator",
    "ministry-coordinator",
    "other-cso-coordinator",
    "stranger",
]
SEATS = {"chair", "gov-1", "gov-2", "cso-seat-conflicted", "cso-seat-2"}
NEVER_WRITE = {"auditor", "stranger", "other-cso-coordinator"}


def reachable_from_draft() -> set[str]:
    seen, frontier = set(), ["draft"]
    while frontier:
        state = frontier.pop()
        if state in seen:
            continue
        seen.add(state)
        for spec in SPECS.values():
            if state in spec.sources:
                frontier.extend(spec.targets)
    return seen


REACHABLE = reachable_from_draft()
assert REACHABLE == set(RequestFlow.state_labels), "every state of the flow is reachable from draft"

# --- data, valid and not -------------------------------------------------------------------------

TEXTS = st.sampled_from(["", "   ", "Outside the platform's scope.", "نطاق الطلب غير واضح.", "x" * 2100])


def transition_data(
    draw: Callable[..., Any], name: str, world: Any, now: dt.datetime, *, valid: bool | None = None
) -> dict[str, Any]:
    """Data for ``name``: usually what its form wants, sometimes missing, malformed or breaking a rule."""
    if valid is None:
        valid = draw(st.integers(0, 3)) > 0
    if name in {"request_info", "provide_info"}:
        return {"message": "Which courts does the data cover?"} if valid else {"message": draw(TEXTS)}
    if name in {"withdraw", "appeal", "cancel_meeting"}:
        return {"reason": "The minister changed."} if valid else draw(st.sampled_from([{}, {"reason": ""}]))
    if name == "decline":
        article = draw(st.sampled_from(["1", "4", "Article 2"])) if valid else draw(st.sampled_from(["99", "", "١"]))
        return {"reason": "Not a public policy question.", "article": article}
    if name == "referred_to_platform":
        return {"reason": "No civil-society member may sit."} if valid else {}
    if name in {"decide", "platform_decided"}:
        decision = draw(st.sampled_from(["approve", "reject"])) if valid else "maybe"
        return {"decision": decision, "reason": "The chair's casting vote."}
    if name in {"schedule_meeting", "reschedule_meeting"}:
        start = now + dt.timedelta(hours=draw(st.integers(1, 240)))
        if valid:
            return meeting_data(business_day(start))
        broken = draw(st.sampled_from(["past", "ends_first", "no_location", "garbage"]))
        if broken == "past":
            return meeting_data(now - dt.timedelta(days=1))
        if broken == "ends_first":
            return meeting_data(start, ends_at=(start - dt.timedelta(hours=1)).isoformat())
        if broken == "no_location":
            return meeting_data(start, location="")
        return {"starts_at": "tomorrow", "ends_at": 7}
    if name == "record_meeting":
        if valid:
            return {"attended_organizations": [world.cso.pk, world.ministry.pk]}
        return {"attended_organizations": draw(st.sampled_from([[], [2**40], "abc", [True]]))}
    if name == "document_outcome":
        if valid:
            visibility = draw(st.sampled_from(["public", "restricted"]))
            return outcome_data(visibility=visibility, restriction_reason="Names of minors." if visibility else "")
        broken = draw(st.sampled_from(["minutes", "what_changed", "restricted", "visibility"]))
        if broken == "restricted":
            return outcome_data(visibility="restricted", restriction_reason="")
        if broken == "visibility":
            return outcome_data(visibility="secret")
        return outcome_data(**{broken: ""})
    if name == "confirm_minutes":
        return {} if valid else {"organization": draw(st.sampled_from([world.other_cso.pk, -1, "x"]))}
    if name == "minutes_correction_requested":
        return (
            {"correction": "Paragraph 2 is wrong."}
            if valid
            else {"correction": draw(st.sampled_from(["", "x" * 4100]))}
        )
    if name == "minutes_revised":
        if valid:
            return {"minutes": f"Revised minutes {draw(st.integers(0, 9))}.", "note": "Paragraph 2."}
        return draw(st.sampled_from([{"minutes": "", "note": "x"}, {"minutes": "New.", "note": ""}]))
    if name == "minutes_correction_rejected":
        return {"reason": "The minutes are right."} if valid else draw(st.sampled_from([{}, {"correction_id": "x"}]))
    if name == "reopen":
        target = draw(st.sampled_from(["", "follow_up", "outcome_documented"])) if valid else "closed"
        return {"reason": "The ministry asked for more.", "target_state": target}
    return {} if valid else {"unexpected": "field"}


# --- the machine ---------------------------------------------------------------------------------


class RequestLife(RuleBasedStateMachine):
    """One request per example, in a savepoint rolled back at the end of the example."""

    world: Any = None
    people: dict[str, Any] = {}
    # Across examples: the states visited and the attempts that succeeded, to check the search went deep.
    visited: set[str] = set()
    succeeded: set[str] = set()

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        # A fixed start (a Tuesday morning in Beirut): the business calendar, and so every deadline,
        # is the same on every run, whatever the day the suite runs.
        self.now = START
        self.request: DialogueRequest | None = None
        self.requester = ""
        self.counterpart = ""
        self.declared: set[str] = set()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers --

    def user(self, key: str) -> Any:
        return self.people[key]

    def fresh(self) -> DialogueRequest:
        assert self.request is not None
        self.request.refresh_from_db()
        committee.forget_parties(self.request)
        return self.request

    def snapshot(self) -> tuple[Any, ...]:
        request = self.fresh()
        return (
            request.state,
            request.version,
            request.audit_seq,
            request.audit_hash,
            AuditEvent.objects.count(),
            OutboxMessage.objects.count(),
            Vote.objects.count(),
            ConflictDeclaration.objects.count(),
            tuple(ActionItem.objects.order_by("pk").values_list("pk", "status", "justification")),
        )

    def attempt(self, call: Callable[[], Any]) -> EngineError | None:
        """Run ``call`` as of the machine's time; a refusal must change nothing at all."""
        before = self.snapshot()
        try:
            with travel(self.now):
                call()
        except EngineError as refusal:
            assert self.snapshot() == before, f"a refused step changed something: {refusal.code}"
            return refusal
        return None

    def admitted(self, name: str, who: str) -> bool:
        """Whether the design lets ``who`` run transition ``name`` (state and guards aside)."""
        if name in SYSTEM:
            return False
        if name in SECRETARIAT_ONLY:
            return who == "secretariat"
        if name in REQUESTER_ONLY:
            return who == self.requester
        if name in PARTIES_ONLY:
            return who in {self.requester, self.counterpart}
        if name in SECRETARIAT_LEAD_ONLY:
            return who == "secretariat-lead"
        if name in CHAIR_ONLY:
            return who == "chair" and "chair" not in self.declared
        raise AssertionError(f"no rule written down for {name}")

    def recused(self, who: str) -> bool:
        # The conflicted seat holder belongs to the CSO, a party whichever side requests.
        return who == "cso-seat-conflicted" or who in self.declared

    # -- attempts, each checked against the rules as written down above --

    def transition(self, name: str, who: str, payload: dict[str, Any]) -> EngineError | None:
        request = self.fresh()
        state = request.state
        refusal = self.attempt(
            lambda: services.request_transition(request=request, name=name, actor=self.user(who), data=payload)
        )
        spec = SPECS[name]
        if state not in spec.sources:
            assert isinstance(refusal, TransitionNotAllowedError), (name, state, who, refusal)
        elif not self.admitted(name, who):
            assert isinstance(refusal, NotPermitted), (name, state, who, refusal)
        else:
            assert refusal is None or isinstance(refusal, InvalidInput | GuardFailed), (name, state, who, refusal)
        if refusal is None:
            self.succeeded.add(name)
            assert who not in NEVER_WRITE, (name, who)
            assert not (name == "accept" and who == self.requester), "the requester never accepts"
            assert name != "decide" or who == "chair", "only the chair decides"
        return refusal

    def vote(self, who: str, decision: str, reason: str) -> EngineError | None:
        request = self.fresh()
        state = request.state
        voted = Vote.objects.filter(request=request, round=request.vote_round, member=self.user(who)).exists()
        refusal = self.attempt(
            lambda: services.vote_cast(request=request, actor=self.user(who), decision=decision, reason=reason)
        )
        valid_input = decision in {"approve", "abstain"} or (decision == "reject" and bool(reason.strip()))
        valid_input = valid_input and len(reason.strip()) <= 2000
        if state != "in_committee":
            assert isinstance(refusal, TransitionNotAllowedError), refusal
        elif who not in SEATS or self.recused(who):
            assert isinstance(refusal, NotPermitted), (who, refusal)
        elif not valid_input:
            assert isinstance(refusal, InvalidInput), (decision, reason[:20], refusal)
        elif voted:
            assert isinstance(refusal, AlreadyVoted), refusal
        else:
            assert refusal is None, refusal
        if refusal is None:
            self.succeeded.add("vote")
            assert who in SEATS and not self.recused(who), "a recused member or a non-member never votes"
        return refusal

    def declare(self, who: str, reason: str) -> EngineError | None:
        request = self.fresh()
        state = request.state
        refusal = self.attempt(lambda: services.conflict_declare(request=request, actor=self.user(who), reason=reason))
        recorded = ConflictDeclaration.objects.filter(request=request, member=self.user(who)).exists()
        if state not in CONFLICT_STATES:
            assert isinstance(refusal, TransitionNotAllowedError), refusal
        elif who not in SEATS:
            assert isinstance(refusal, NotPermitted), refusal
        elif not reason.strip() or len(reason.strip()) > 2000:
            assert isinstance(refusal, InvalidInput), refusal
        elif refusal is not None:
            # Declared before, by the member or automatically when the secretariat accepted.
            assert isinstance(refusal, AlreadyDeclared) and recorded, refusal
        if refusal is None:
            self.succeeded.add("declare_conflict")
            self.declared.add(who)
        return refusal

    def add_item(self, who: str, owner: str | None, due: str, description: str) -> EngineError | None:
        request = self.fresh()
        state = request.state
        organization = getattr(self.world, owner) if owner else None
        refusal = self.attempt(
            lambda: services.action_item_create(
                request=request,
                actor=self.user(who),
                description=description,
                owner_organization=organization,
                due_date=due,
            )
        )
        parties = {request.requesting_organization_id, *request.counterpart_organizations.values_list("pk", flat=True)}
        if who != "secretariat":
            assert isinstance(refusal, NotPermitted), refusal
        elif state not in FOLLOW_UP_STATES:
            assert isinstance(refusal, TransitionNotAllowedError), refusal
        elif owner is None or due != VALID_DUE or not description.strip():
            assert isinstance(refusal, InvalidInput), refusal
        elif organization.pk not in parties:
            # an action item's owner is a party to the request, or its coordinator could not see it
            assert isinstance(refusal, GuardFailed) and refusal.reasons[0].code == "owner_not_party", refusal
        else:
            assert refusal is None, refusal
            self.succeeded.add("add_action_item")
        return refusal

    def update_item(self, item: ActionItem, who: str, status: str, justification: str | None) -> EngineError | None:
        state = self.fresh().state
        owners = {
            "cso-coordinator": self.world.cso.pk,
            "ministry-coordinator": self.world.ministry.pk,
            "other-cso-coordinator": self.world.other_cso.pk,
        }
        owner = owners.get(who) == item.owner_organization_id
        refusal = self.attempt(
            lambda: services.action_item_update(
                item=item, actor=self.user(who), status=status, justification=justification
            )
        )
        # who before when: someone who may never update the item is told so whatever the state
        if who != "secretariat" and not owner:
            assert isinstance(refusal, NotPermitted), refusal
        elif state not in FOLLOW_UP_STATES:
            assert isinstance(refusal, TransitionNotAllowedError), refusal
        elif status not in ActionItem.Status.values:
            assert isinstance(refusal, InvalidInput), refusal
        if refusal is None:
            self.succeeded.add("update_action_item")
            assert who == "secretariat" or owner, "only the secretariat or the action's owner updates it"
        return refusal

    # -- rules --

    @initialize(by=st.sampled_from(["cso", "ministry"]))
    def open_request(self, by: str) -> None:
        with travel(self.now):
            self.request = draft(self.world, by=by)
        self.requester, self.counterpart = (
            ("cso-coordinator", "ministry-coordinator") if by == "cso" else ("ministry-coordinator", "cso-coordinator")
        )

    @rule(data=st.data())
    def someone_moves_it_on(self, data: st.DataObject) -> None:
        """What a participant would plausibly do next (still checked like any other attempt)."""
        request = self.fresh()
        state = request.state
        if state == "in_committee" and data.draw(st.integers(0, 5)):
            if committee.tally(request).outcome == committee.TIE:
                self.transition("decide", "chair", transition_data(data.draw, "decide", self.world, self.now))
                return
            voted = set(Vote.objects.filter(request=request, round=request.vote_round).values_list("member", flat=True))
            who = data.draw(
                st.sampled_from([k for k in sorted(SEATS) if self.user(k).pk not in voted] or sorted(SEATS))
            )
            decision = data.draw(st.sampled_from(["approve", "approve", "reject", "reject", "abstain"]))
            self.vote(who, decision, "Outside the platform's scope." if decision == "reject" else "")
            return
        if state == "meeting_scheduled":
            meeting = request.meetings.exclude(status="cancelled").order_by("-id").first()
            if meeting is not None and meeting.starts_at > self.now:
                self.now = meeting.starts_at + dt.timedelta(hours=1)
                return
        if state in FOLLOW_UP_STATES and request.minutes_confirmed_at is not None:
            open_items = list(ActionItem.objects.filter(request=request).exclude(status__in=["done", "dropped"]))
            choice = data.draw(st.integers(0, 3))
            if choice == 0:
                self.add_item("secretariat", data.draw(st.sampled_from(["cso", "ministry"])), VALID_DUE, "Guidelines")
                return
            if open_items and choice == 1:
                item = data.draw(st.sampled_from(open_items))
                owner = {self.world.cso.pk: "cso-coordinator", self.world.ministry.pk: "ministry-coordinator"}
                who = data.draw(st.sampled_from(["secretariat", owner[item.owner_organization_id]]))
                self.update_item(item, who, "done", None)
                return
        outgoing = [spec.name for spec in RequestFlow.outgoing(state) if spec.name not in SYSTEM]
        if not outgoing:
            return
        forward = [name for name in outgoing if name in FORWARD] or outgoing
        name = data.draw(st.sampled_from(forward if data.draw(st.integers(0, 3)) else outgoing))
        rightful = [who for who in ACTORS if self.admitted(name, who)]
        who = data.draw(st.sampled_from(rightful or ACTORS))
        payload = transition_data(data.draw, name, self.world, self.now, valid=True)
        self.transition(name, who, payload)

    @rule(data=st.data(), kind=st.sampled_from(["transition", "vote", "conflict", "add_item", "update_item"]))
    def someone_tries_anything(self, data: st.DataObject, kind: str) -> None:
        """Any person, any action, any data: the rules must hold whatever happens."""
        who = data.draw(st.sampled_from(ACTORS))
        if kind == "transition":
            request = self.fresh()
            outgoing = [spec.name for spec in RequestFlow.outgoing(request.state)]
            names = outgoing if outgoing and data.draw(st.booleans()) else list(SPECS)
            name = data.draw(st.sampled_from(names))
            self.transition(name, who, transition_data(data.draw, name, self.world, self.now))
        elif kind == "vote":
            decision = data.draw(st.sampled_from(["approve", "reject", "abstain", "veto", ""]))
            self.vote(who, decision, data.draw(TEXTS))
        elif kind == "conflict":
            self.declare(who, data.draw(TEXTS))
        elif kind == "add_item":
            owner = data.draw(st.sampled_from(["cso", "ministry", "other_cso", None]))
            due = data.draw(st.sampled_from([VALID_DUE, "2020-02-30", "soon"]))
            self.add_item(who, owner, due, data.draw(st.sampled_from(["Draft implementing guidelines", "  "])))
        else:
            items = list(ActionItem.objects.filter(request=self.fresh()))
            if items:
                status = data.draw(st.sampled_from(["open", "in_progress", "done", "dropped", "lost"]))
                justification = data.draw(st.sampled_from([None, "", "Superseded by the new law."]))
                self.update_item(data.draw(st.sampled_from(items)), who, status, justification)

    @rule(hours=st.sampled_from([1, 4, 30, 24 * 8, 24 * 20]))
    def time_passes(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)

    @rule()
    def the_sla_scan_runs(self) -> None:
        with travel(self.now):
            result = sla.scan(self.now)
        self.fresh()  # the scan may have moved the request on
        assert not result.errors, result.errors

    # -- invariants --

    @invariant()
    def the_state_is_reachable_and_the_history_verifies(self) -> None:
        if self.request is None:
            return
        request = self.fresh()
        assert request.state in REACHABLE
        self.visited.add(request.state)
        events = list(AuditEvent.objects.filter(case_type=request.case_type(), case_id=request.pk).order_by("seq"))
        assert [event.seq for event in events] == list(range(1, len(events) + 1))
        moves = [event for event in events if event.to_state]
        assert moves[0].action == "create" and moves[0].to_state == "draft"
        assert moves[-1].to_state == request.state
        for event in moves[1:]:
            spec = SPECS[event.action]
            assert event.from_state in spec.sources, (event.action, event.from_state)
            assert event.to_state in spec.targets, event.action
            # The platform runs its own transitions, and people run theirs.
            assert (event.actor_id is None) == (event.action in SYSTEM), event.action
        report = verify_all()
        assert report.ok, [failure.as_dict() for failure in report.failures]


EXPLORE = bool(os.environ.get("HYPOTHESIS_EXPLORE"))


def test_no_sequence_of_attempts_breaks_the_rules_of_the_flow(partnership_world):
    # given a world with every kind of person, and a stranger
    people = {
        "secretariat": partnership_world.secretariat,
        "chair": partnership_world.chair,
        "gov-1": partnership_world.gov[0],
        "gov-2": partnership_world.gov[1],
        "cso-seat-conflicted": partnership_world.conflicted,
        "cso-seat-2": partnership_world.cso_seats[1],
        "auditor": partnership_world.auditor,
        "cso-coordinator": partnership_world.cso_coordinator,
        "ministry-coordinator": partnership_world.ministry_coordinator,
        "other-cso-coordinator": partnership_world.other_cso_coordinator,
        "stranger": UserFactory(username="stranger"),
    }
    RequestLife.world, RequestLife.people = partnership_world, people
    RequestLife.visited, RequestLife.succeeded = set(), set()
    # when random people try random things, then every invariant holds after every step
    run_state_machine_as_test(
        RequestLife,
        settings=settings(
            max_examples=200 if EXPLORE else 60,
            stateful_step_count=100,
            deadline=None,
            derandomize=not EXPLORE,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    print("COVER", sorted(RequestLife.visited), sorted(RequestLife.succeeded))
    # and the search went past the committee into the meeting and its outcome (else it proved little)
    assert {"in_committee", "approved", "meeting_held", "outcome_documented"} <= RequestLife.visited
    assert {"vote", "schedule_meeting", "document_outcome"} <= RequestLife.succeeded
    if EXPLORE or os.environ.get("HYPOTHESIS_SHOW_COVERAGE"):
        print(sorted(RequestLife.visited), sorted(RequestLife.succeeded))
