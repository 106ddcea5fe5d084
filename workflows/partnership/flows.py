"""The life of a dialogue request: states, transitions, who may run them and the charter rules that guard them."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _
from viewflow.fsm import State

from engine import calendar
from engine.errors import NotPermitted
from engine.flows import EventSpec, Flow, action, chosen_target, transition
from engine.reasons import Reason
from engine.registry import register
from engine.roles import Role
from engine.snapshot import AuditedRows
from partners import charter
from partners.models import CharterAcceptance, CharterArticle, Membership, Organization, PlatformRole, Side
from partners.selectors import is_secretariat, user_access

from . import committee, effects, forms, sessions
from .effects import current_meeting
from .errors import AlreadyDeclared, AlreadyVoted
from .models import (
    ActionItem,
    ConflictDeclaration,
    DialogueRequest,
    Meeting,
    MinutesConfirmation,
    MinutesCorrection,
    Outcome,
    Vote,
)

DRAFT = "draft"
SUBMITTED = "submitted"
INFO_REQUESTED = "info_requested"
IN_COMMITTEE = "in_committee"
APPROVED = "approved"
MEETING_SCHEDULED = "meeting_scheduled"
MEETING_HELD = "meeting_held"
OUTCOME_DOCUMENTED = "outcome_documented"
FOLLOW_UP = "follow_up"
CLOSED = "closed"
DECLINED = "declined"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
LAPSED = "lapsed"

BEFORE_MEETING_HELD = [DRAFT, SUBMITTED, INFO_REQUESTED, IN_COMMITTEE, APPROVED, MEETING_SCHEDULED]
FOLLOW_UP_STATES = [OUTCOME_DOCUMENTED, FOLLOW_UP]
ALL_STATES = [*BEFORE_MEETING_HELD, MEETING_HELD, *FOLLOW_UP_STATES, CLOSED, DECLINED, REJECTED, WITHDRAWN, LAPSED]
HARVESTING_FIELDS = ("what_changed", "who_changed", "significance", "contribution", "evidence")


# --- roles ------------------------------------------------------------------------------------


def _is_requester(flow: RequestFlow, user: Any) -> bool:
    return flow.case.requesting_organization_id in user_access(user).coordinated_ids


def _is_counterpart(flow: RequestFlow, user: Any) -> bool:
    return bool(user_access(user).coordinated_ids & committee.counterpart_ids(flow.case))


def _sitting(flow: RequestFlow) -> committee.Composition:
    """The committee as it sits on this request today (cached on the flow for one check)."""
    cached = getattr(flow, "_composition", None)
    if cached is None:
        cached = committee.composition(flow.case, flow.clock())
        flow._composition = cached
    return cached


def _is_alternate(user: Any) -> bool:
    """Whether ``user`` is an active seat's alternate (asked once, kept with their access for the request)."""
    access = user_access(user)
    cached = getattr(access, "is_alternate", None)
    if cached is None:
        cached = user.alternate_for_seats.filter(active=True).exists()
        access.is_alternate = cached  # type: ignore[attr-defined]
    return bool(cached)


def _is_committee_member(flow: RequestFlow, user: Any) -> bool:
    """A member in term and not recused, or the alternate sitting in a recused member's seat."""
    if user_access(user).seat is None and not _is_alternate(user):
        return False
    return user.pk in _sitting(flow).sitting


def _has_seat(flow: RequestFlow, user: Any) -> bool:
    return user_access(user).seat is not None


def _why_not_member(flow: RequestFlow, user: Any) -> Reason | None:
    seat = user_access(user).seat
    if seat is None:
        if user.alternate_for_seats.filter(active=True).exists():
            return Reason(
                "alternate_not_sitting",
                _("You are an alternate: you sit and vote only when the member of your seat is recused."),
                article=charter.INDEPENDENCE,
            )
        return Reason("not_committee_member", _("Only members of the coordination committee may do this."))
    day = committee.governance_day(flow.clock())
    if not seat.in_term(day):
        params = {"start": formats.date_format(seat.since), "today": formats.date_format(day)}
        if seat.since > day:
            message = _("Your committee term starts on %(start)s: a member outside their term has no vote.")
        else:
            params["end"] = formats.date_format(seat.term_end)
            message = _("Your committee term ended on %(end)s: a member outside their term has no vote.")
        return Reason("out_of_term", message, params=params)
    if user.pk in _sitting(flow).absent:
        return Reason(
            "absent",
            _("You declared that you will not sit on this request; your seat's alternate sits instead."),
            article=charter.INDEPENDENCE,
        )
    if committee.is_recused(flow.case, user):
        return Reason(
            "recused",
            _("You are recused from this request because of a conflict of interest."),
            article=charter.INDEPENDENCE,
        )
    return None


def _why_no_seat(flow: RequestFlow, user: Any) -> Reason | None:
    if user_access(user).seat is None:
        return Reason("not_committee_member", _("Only members of the coordination committee may do this."))
    return None


def _casts_deciding_vote(role: str) -> Any:
    def check(flow: RequestFlow, user: Any) -> bool:
        seat = user_access(user).seat
        if seat is None or not (seat.is_chair or seat.is_deputy_chair):
            return False
        return _sitting(flow).casting_voter() == (user.pk, role)

    return check


requester = Role("requester", _("the requesting organization's coordinator"), _is_requester)
counterpart = Role("counterpart", _("a counterpart organization's coordinator"), _is_counterpart)
secretariat = Role("secretariat", _("the secretariat"), lambda flow, user: is_secretariat(user))
committee_member = Role(
    "committee_member", _("a committee member without a conflict"), _is_committee_member, explain=_why_not_member
)
#: any seat holder, recused or not (a conflict is declared by a member who has one)
seat_holder = Role("committee_member", _("a committee member"), _has_seat, explain=_why_no_seat)
chair = Role("chair", _("the committee chair"), _casts_deciding_vote("chair"))
deputy_chair = Role(
    "deputy_chair", _("the deputy chair, when the chair is recused"), _casts_deciding_vote("deputy_chair")
)
secretariat_lead = Role(
    "secretariat_lead", _("the secretariat lead"), lambda flow, user: "secretariat_lead" in user_access(user).roles
)
auditor = Role("auditor", _("an auditor"), lambda flow, user: "auditor" in user_access(user).roles)


def _is_party_member(flow: RequestFlow, user: Any) -> bool:
    """A member of the requesting organization, or of a counterpart once the request is accepted."""
    organizations = user_access(user).organization_ids
    if flow.case.requesting_organization_id in organizations:
        return True
    return flow.case.accepted_at is not None and bool(organizations & committee.counterpart_ids(flow.case))


def _is_action_owner(flow: RequestFlow, user: Any) -> bool:
    item = flow.data.get("item")
    if item is None:
        return False
    if item.owner_person_id and item.owner_person_id == user.pk:
        return True
    return item.owner_organization_id in user_access(user).coordinated_ids


party_member = Role("party_member", _("a member of an organization party to the request"), _is_party_member)
action_owner = Role("action_owner", _("the action's owner"), _is_action_owner)

#: who may read how individual members voted and what conflicts they declared
oversight = (secretariat, seat_holder, auditor)
# Admits no one: transitions the platform runs by itself (votes settled, deadlines passed) name it,
# so a person asking why they cannot run one reads who does.
automatic = Role("system", _("the platform itself"), lambda flow, user: False)


# --- guards (charter rules) -------------------------------------------------------------------


def _join(labels: list[Any]) -> str:
    return "، ".join(str(label) for label in labels) if get_language_bidi() else ", ".join(map(str, labels))


# Field names in a reason are translated when the reason is shown, in the reader's language.
lazy_join = lazy(_join, str)
SIDE_LABELS = dict(Side.choices)


def organization_active(flow: RequestFlow) -> Reason | None:
    if not flow.case.requesting_organization.active:
        return Reason(
            "organization_inactive",
            _("The requesting organization is not an active member of the platform."),
            article=charter.PARTICIPATION,
        )
    return None


def charter_accepted(flow: RequestFlow) -> Reason | None:
    accepted = CharterAcceptance.objects.filter(
        organization_id=flow.case.requesting_organization_id, version__is_current=True
    ).exists()
    if not accepted:
        return Reason(
            "charter_not_accepted",
            _("The requesting organization has not accepted the current version of the Partnership Charter."),
            article=charter.PARTICIPATION,
        )
    return None


def counterpart_on_other_side(flow: RequestFlow) -> Reason | None:
    own_side = flow.case.requesting_organization.side
    other = Organization.objects.filter(pk__in=committee.counterpart_ids(flow.case), active=True).exclude(side=own_side)
    if not other.exists():
        return Reason(
            "counterpart_same_side",
            _("Name at least one active counterpart from the other side (public sector ↔ civil society)."),
            article=charter.SCOPE,
        )
    return None


def required_fields_present(flow: RequestFlow) -> Reason | None:
    case = flow.case
    missing = [
        label
        for name, label in (("title", _("title")), ("summary", _("summary")))
        if not str(getattr(case, name) or "").strip()
    ]
    if missing:
        return Reason(
            "required_fields_missing",
            _("These fields are required before submitting: %(fields)s."),
            article=charter.SCOPE,
            params={"fields": lazy_join(missing)},
        )
    if case.period_start and case.period_end and case.period_end < case.period_start:
        return Reason("period_invalid", _("The proposed period ends before it starts."))
    return None


def article_exists(flow: RequestFlow) -> Reason | None:
    number = flow.data.get("article")
    if not number:
        return None
    if not CharterArticle.objects.filter(version__is_current=True, number=number).exists():
        return Reason(
            "unknown_article",
            _("Article %(article)s does not exist in the current charter."),
            params={"article": number},
        )
    return None


def _tally_reason(tally: committee.Tally) -> Reason:
    if not tally.quorum_met and tally.empty_sides and not tally.sides_satisfied_by_rule:
        # Deadlock by recusal: the committee's configured rule says what happens, in its own words.
        return Reason(
            "quorum_not_met",
            _(
                "No quorum: no member is eligible on this side, even after alternates: %(sides)s. Under the "
                "committee's rule (charter article %(article)s), %(rule)s (%(voted)s of %(eligible)s voted)."
            ),
            article=tally.rule.empty_side_article or charter.SCOPE,
            params={
                "sides": lazy_join([SIDE_LABELS[side] for side in tally.empty_sides]),
                "article": tally.rule.empty_side_article or charter.SCOPE,
                "rule": committee.rule_label(tally.rule),
                "voted": tally.voted,
                "eligible": len(tally.eligible),
            },
        )
    if not tally.quorum_met:
        return Reason(
            "quorum_not_met",
            _(
                "No quorum yet: at least half of the eligible members must vote, with at least one vote "
                "from each side (%(voted)s of %(eligible)s voted)."
            ),
            article=charter.SCOPE,
            params={"voted": tally.voted, "eligible": len(tally.eligible)},
        )
    return Reason("votes_not_settled", _("The votes cast so far do not settle the decision."), article=charter.SCOPE)


def _decision_guard(expected: str) -> Any:
    def guard(flow: RequestFlow) -> Reason | None:
        tally = committee.tally(flow.case, flow.clock())
        if tally.outcome == expected:
            return None
        return _tally_reason(tally)

    guard.__name__ = f"votes_settle_{expected}"
    return guard


def referral_allowed(flow: RequestFlow) -> Reason | None:
    """The committee's rule refers a request with a side left without eligible members to the full platform."""
    if flow.case.referred_at is not None:
        return Reason(
            "already_referred", _("The request has already been referred to the full platform."), article=charter.SCOPE
        )
    tally = committee.tally(flow.case, flow.clock())
    rule = tally.rule
    if not tally.empty_sides:
        return Reason(
            "committee_can_decide",
            _("Both sides have eligible members on the committee: the committee decides."),
            article=charter.SCOPE,
        )
    if rule.empty_side_rule != rule.EmptySideRule.REFER_TO_PLATFORM:
        return Reason(
            "referral_not_the_rule",
            _("The committee's rule (charter article %(article)s) is that %(rule)s."),
            article=rule.empty_side_article or charter.SCOPE,
            params={"article": rule.empty_side_article or charter.SCOPE, "rule": committee.rule_label(rule)},
        )
    return None


def was_referred(flow: RequestFlow) -> Reason | None:
    if flow.case.referred_at is None:
        return Reason(
            "not_referred",
            _("Only a request referred to the full platform is decided by the platform."),
            article=charter.SCOPE,
        )
    return None


def reject_votes_reasoned(flow: RequestFlow) -> Reason | None:
    unreasoned = Vote.objects.filter(
        request=flow.case, round=flow.case.vote_round, decision=Vote.Choice.REJECT, reason=""
    )
    if unreasoned.exists():
        return Reason(
            "reject_vote_without_reason", _("Every vote to reject must give a reason."), article=charter.INDEPENDENCE
        )
    return None


def votes_tied(flow: RequestFlow) -> Reason | None:
    tally = committee.tally(flow.case, flow.clock())
    if tally.outcome == committee.TIE:
        return None
    if tally.outcome in (committee.APPROVE, committee.REJECT):
        return Reason(
            "not_a_tie", _("The votes are not tied; the committee's majority decides."), article=charter.SCOPE
        )
    return _tally_reason(tally)


def appeal_allowed(flow: RequestFlow) -> Reason | None:
    case = flow.case
    rule = committee.CommitteeRule.current()
    appeals = 1 if case.appeal_used else 0
    if appeals >= rule.max_appeals:
        return Reason("appeal_used", _("A rejection can be appealed only once."), article=charter.SCOPE)
    if case.decided_at is not None:
        closes_at = calendar.add_business_days(case.decided_at, rule.appeal_window_days)
        if flow.clock() > closes_at:
            return Reason(
                "appeal_window_closed",
                _("The appeal window of %(days)s business days after the decision has closed."),
                article=charter.SCOPE,
                params={"days": rule.appeal_window_days},
            )
    return None


def default_invitee_ids(request: DialogueRequest) -> list[int]:
    """The coordinators of the requesting and counterpart organizations."""
    return list(
        Membership.objects.filter(
            organization_id__in=committee.party_organization_ids(request),
            role=Membership.Role.COORDINATOR,
            active=True,
            user__is_active=True,
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


def _as_datetime(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) else value


def meeting_in_future(flow: RequestFlow) -> Reason | None:
    starts_at = _as_datetime(flow.data.get("starts_at"))
    if starts_at is not None and starts_at <= flow.clock():
        return Reason("meeting_in_past", _("The meeting must start in the future."), article=charter.SCOPE)
    return None


def business_day_or_override(flow: RequestFlow) -> Reason | None:
    """A meeting on a weekend or holiday of the configured calendar needs an explicit override with a reason."""
    starts_at = _as_datetime(flow.data.get("starts_at"))
    if starts_at is None or starts_at <= flow.clock() or flow.data.get("allow_non_business_day"):
        return None  # a past start is refused by ``meeting_in_future``
    day = timezone.localtime(starts_at, calendar.local_zone()).date()
    if calendar.is_business_day(day):
        return None
    holiday = calendar.holiday_name(day)
    params = {"date": formats.date_format(day), "holiday": holiday or ""}
    if holiday:
        message = _(
            "%(date)s is not a business day (%(holiday)s). To schedule on it anyway, confirm the override "
            "and give a reason."
        )
    else:
        message = _(
            "%(date)s is not a business day (weekend). To schedule on it anyway, confirm the override and give a reason."
        )
    return Reason("non_business_day", message, params=params)


def _day_override(fields: dict[str, Any]) -> dict[str, Any]:
    """The audit's record of a meeting knowingly set on a weekend or holiday (nothing for a business day)."""
    allow = fields.pop("allow_non_business_day", False)
    reason = fields.pop("override_reason", "")
    starts_at = _as_datetime(fields.get("starts_at"))
    if starts_at is None:
        return {}
    day = timezone.localtime(starts_at, calendar.local_zone()).date()
    if not allow or calendar.is_business_day(day):
        return {}
    return {
        "non_business_day": {"date": day.isoformat(), "holiday": calendar.holiday_name(day) or "", "reason": reason}
    }


def both_sides_invited(flow: RequestFlow) -> Reason | None:
    if not flow.data:
        return None
    invitees = flow.data.get("invitees") or default_invitee_ids(flow.case)
    sides = set(
        Membership.objects.filter(user_id__in=invitees, active=True, organization__active=True)
        .values_list("organization__side", flat=True)
        .distinct()
    )
    if not {"public", "civil"} <= sides:
        return Reason(
            "invitees_one_side",
            _("Invite participants from both the public sector and civil society."),
            article=charter.SCOPE,
        )
    return None


def session_of(flow: RequestFlow, statuses: tuple[str, ...] = (Meeting.Status.SCHEDULED,)) -> Meeting | None:
    """The session the unit is about: the one named in its input, else the next one in ``statuses``."""
    return sessions.target_session(flow.case, (flow.data or {}).get("session"), statuses=statuses)


def meeting_started(flow: RequestFlow) -> Reason | None:
    meeting = session_of(flow)
    if meeting is None or meeting.starts_at > flow.clock():
        return Reason(
            "meeting_not_started",
            _("Attendance can be recorded only once the meeting has started."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
        )
    return None


def session_exists(flow: RequestFlow) -> Reason | None:
    if session_of(flow) is None:
        return Reason("no_session", _("No session of this request is scheduled."))
    return None


def registration_open(flow: RequestFlow) -> Reason | None:
    meeting = session_of(flow)
    if meeting is None:
        return Reason("no_session", _("No session of this request is scheduled."))
    if meeting.starts_at <= flow.clock():
        return Reason(
            "registration_closed",
            _("Registration for session %(number)s closed when it started."),
            params={"number": meeting.number},
        )
    return None


def session_has_place(flow: RequestFlow) -> Reason | None:
    """Capacity: the engine holds the request's row lock, so two registrations for the last place queue here."""
    meeting = session_of(flow)
    if meeting is None or meeting.capacity is None:
        return None
    if sessions.registered_count(meeting) >= meeting.capacity:
        return Reason(
            "session_full",
            _("Session %(number)s is full: all %(capacity)s places are taken."),
            params={"number": meeting.number, "capacity": meeting.capacity},
        )
    return None


def held_session_exists(flow: RequestFlow) -> Reason | None:
    if session_of(flow, (Meeting.Status.HELD,)) is None:
        return Reason("no_held_session", _("No session of this request has been held yet."))
    return None


def series_minutes_present(flow: RequestFlow) -> Reason | None:
    """Each held session has its minutes; a lone session's minutes may be the outcome's own."""
    held = list(Meeting.objects.filter(request=flow.case, status=Meeting.Status.HELD).order_by("number"))
    if len(held) <= 1:
        return None
    missing = [str(meeting.number) for meeting in held if not meeting.minutes.strip()]
    if missing:
        return Reason(
            "session_minutes_missing",
            _("Record the minutes of every session before documenting the outcome (sessions %(numbers)s)."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
            params={"numbers": ", ".join(missing)},
        )
    return None


def no_session_held(flow: RequestFlow) -> Reason | None:
    """Once a session of the series was held, the dialogue has taken place: it is documented, not withdrawn."""
    if Meeting.objects.filter(request=flow.case, status=Meeting.Status.HELD).exists():
        return Reason(
            "session_held",
            _("A session of this dialogue was already held: the request can no longer be withdrawn."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
        )
    return None


def after_cancel(flow: RequestFlow, session: int | None = None, **rest: Any) -> str:
    """Still scheduled while another session is; held when one was; otherwise back to approved."""
    cancelled = session_of(flow)
    remaining = sessions.scheduled_sessions(flow.case).exclude(pk=getattr(cancelled, "pk", None))
    if remaining.exists():
        return MEETING_SCHEDULED
    if Meeting.objects.filter(request=flow.case, status=Meeting.Status.HELD).exists():
        return MEETING_HELD
    return APPROVED


def after_record(flow: RequestFlow, session: int | None = None, **rest: Any) -> str:
    """Held once no other session of the series is still to come."""
    recorded = session_of(flow)
    remaining = sessions.scheduled_sessions(flow.case).exclude(pk=getattr(recorded, "pk", None))
    return MEETING_SCHEDULED if remaining.exists() else MEETING_HELD


def minutes_present(flow: RequestFlow) -> Reason | None:
    if flow.data and not str(flow.data.get("minutes") or "").strip():
        return Reason(
            "minutes_missing", _("The minutes of the meeting are required."), article=charter.OUTCOMES_AND_FOLLOW_UP
        )
    return None


def harvesting_complete(flow: RequestFlow) -> Reason | None:
    if not flow.data:
        return None
    labels = {
        "what_changed": _("what changed"),
        "who_changed": _("who changed"),
        "significance": _("significance"),
        "contribution": _("contribution of the dialogue"),
        "evidence": _("evidence"),
    }
    missing = [labels[name] for name in HARVESTING_FIELDS if not str(flow.data.get(name) or "").strip()]
    if missing:
        return Reason(
            "harvesting_incomplete",
            _("Complete the outcome-harvesting fields: %(fields)s."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
            params={"fields": lazy_join(missing)},
        )
    return None


def restriction_justified(flow: RequestFlow) -> Reason | None:
    if (
        flow.data.get("visibility") == Outcome.Visibility.RESTRICTED
        and not str(flow.data.get("restriction_reason") or "").strip()
    ):
        return Reason(
            "restriction_reason_missing",
            _("A restricted outcome needs a reason for restricting it."),
            article=charter.ACCESS_TO_INFORMATION,
        )
    return None


def confirmable_organizations(flow: RequestFlow) -> list[int]:
    """Party organizations the acting user coordinates that have not confirmed the minutes yet."""
    coordinated = user_access(flow.user).coordinated_ids & committee.party_organization_ids(flow.case)
    confirmed = set(
        MinutesConfirmation.objects.filter(outcome__request=flow.case).values_list("organization_id", flat=True)
    )
    return sorted(coordinated - confirmed)


def minutes_open_for_confirmation(flow: RequestFlow) -> Reason | None:
    if flow.case.minutes_confirmed_at is not None:
        return Reason(
            "minutes_already_confirmed", _("The minutes are already confirmed."), article=charter.OUTCOMES_AND_FOLLOW_UP
        )
    if flow.user is None:
        return None
    pending = confirmable_organizations(flow)
    wanted = flow.data.get("organization")
    if not pending or (wanted and wanted not in pending):
        return Reason(
            "already_confirmed",
            _("Your organization has already confirmed the minutes."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
        )
    return None


def pending_corrections(flow: RequestFlow) -> list[MinutesCorrection]:
    """The parties' correction requests the secretariat has not answered yet (read once per check)."""
    cached = getattr(flow, "_pending_corrections", None)
    if cached is None:
        cached = list(
            MinutesCorrection.objects.filter(
                outcome__request=flow.case, status=MinutesCorrection.Status.PENDING
            ).select_related("organization")
        )
        flow._pending_corrections = cached
    return cached


def no_correction_pending(flow: RequestFlow) -> Reason | None:
    """An objection is not silence: while a correction is pending, the minutes are neither confirmed nor consented."""
    pending = pending_corrections(flow)
    if pending:
        return Reason(
            "correction_pending",
            _(
                "A correction of the minutes is pending (requested by %(organizations)s): the parties confirm "
                "once the secretariat has revised the minutes or answered the request."
            ),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
            params={"organizations": lazy_join([item.organization for item in pending])},
        )
    return None


def correction_open(flow: RequestFlow) -> Reason | None:
    """A party coordinator who has not confirmed may object, once per party until the secretariat answers."""
    refused = minutes_open_for_confirmation(flow)
    if refused is not None or flow.user is None:
        return refused
    waiting = {item.organization_id for item in pending_corrections(flow)}
    wanted = flow.data.get("organization")
    candidates = [pk for pk in confirmable_organizations(flow) if pk not in waiting]
    if not candidates or (wanted and wanted not in candidates):
        return Reason(
            "correction_already_requested",
            _("Your organization's correction request is pending: the secretariat answers it first."),
        )
    return None


def minutes_not_yet_confirmed(flow: RequestFlow) -> Reason | None:
    if flow.case.minutes_confirmed_at is not None:
        return Reason(
            "minutes_already_confirmed", _("The minutes are already confirmed."), article=charter.OUTCOMES_AND_FOLLOW_UP
        )
    return None


def revision_changes_minutes(flow: RequestFlow) -> Reason | None:
    minutes = str(flow.data.get("minutes") or "").strip()
    if minutes and minutes == Outcome.objects.get(request=flow.case).minutes.strip():
        return Reason("minutes_unchanged", _("The revised minutes are the same as the current ones."))
    return None


def correction_answerable(flow: RequestFlow) -> Reason | None:
    """The secretariat refuses a pending request; it names which when several parties asked."""
    pending = pending_corrections(flow)
    if not pending:
        return Reason("no_correction_pending", _("No correction of the minutes is waiting for an answer."))
    wanted = flow.data.get("correction_id")
    if wanted and wanted not in {item.pk for item in pending}:
        return Reason("correction_unknown", _("This correction request is not waiting for an answer."))
    if flow.data and not wanted and len(pending) > 1:
        return Reason(
            "correction_not_named",
            _("Several parties asked for a correction: say which request you answer."),
        )
    return None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def minutes_confirmed(flow: RequestFlow) -> Reason | None:
    if flow.case.minutes_confirmed_at is None:
        return Reason(
            "minutes_not_confirmed",
            _("The parties have not confirmed the minutes yet."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
        )
    return None


def actions_settled(flow: RequestFlow) -> Reason | None:
    # The page's request has its items prefetched: asking it costs no query there (a fresh one queries).
    unsettled = [item for item in flow.case.action_items.all() if not item.settled]
    if unsettled:
        return Reason(
            "actions_open",
            _("%(count)s follow-up action(s) are neither done nor dropped with a justification."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
            params={"count": len(unsettled)},
        )
    return None


def close_allowed(flow: RequestFlow) -> Reason | None:
    if flow.case.state == OUTCOME_DOCUMENTED:
        return minutes_confirmed(flow)
    return None


def reopen_target(flow: RequestFlow, target_state: str = "") -> str:
    """Back to follow-up, or to the documented outcome when asked or when there were no action items."""
    if target_state == OUTCOME_DOCUMENTED or (
        not target_state and not ActionItem.objects.filter(request=flow.case).exists()
    ):
        return OUTCOME_DOCUMENTED
    return FOLLOW_UP


def owner_is_party(flow: RequestFlow) -> Reason | None:
    """A follow-up action belongs to an organization party to the request (else its coordinator could not see it)."""
    parties = committee.party_organization_ids(flow.case)
    owner = flow.data.get("owner_organization")
    owner_id = getattr(owner, "pk", owner)
    person = flow.data.get("owner_person")
    organization_ok = owner_id in (None, "") or str(owner_id) in {str(pk) for pk in parties}
    # a person who owns it must be able to open the request (a party's member, the secretariat)
    person_id = getattr(person, "pk", person)
    person_ok = person_id is None or person_id in RequestFlow.viewer_ids(flow.case, [person_id])
    if organization_ok and person_ok:
        return None
    return Reason(
        "owner_not_party",
        _("A follow-up action must belong to an organization party to the request, or a person who can open it."),
        article=charter.OUTCOMES_AND_FOLLOW_UP,
    )


def due_date_not_past(flow: RequestFlow) -> Reason | None:
    """A follow-up action is due today or later: today in the platform's time zone, as of the unit's time."""
    due = flow.data.get("due_date")
    if not isinstance(due, datetime.date) or isinstance(due, datetime.datetime):
        return None
    today = timezone.localtime(flow.clock(), calendar.local_zone()).date()
    if due >= today:
        return None
    return Reason(
        "due_date_past",
        _("The due date %(date)s is in the past: choose today or a later day."),
        params={"date": formats.date_format(due)},
        article=charter.OUTCOMES_AND_FOLLOW_UP,
    )


def only_secretariat_edits(flow: RequestFlow) -> Reason | None:
    """Owners report status; the description, owner and due date are the secretariat's."""
    edits = flow.data.get("edits") or ()
    if edits and not secretariat.admits(flow, flow.user):
        message = _("Only the secretariat may change an action's description, owner or due date.")
        return Reason("not_permitted", message, error=NotPermitted)
    return None


def not_voted_yet(flow: RequestFlow) -> Reason | None:
    if (
        flow.user is not None
        and Vote.objects.filter(request=flow.case, member=flow.user, round=flow.case.vote_round).exists()
    ):
        return Reason("already_voted", AlreadyVoted.default_message, error=AlreadyVoted)
    return None


def absence_allowed(flow: RequestFlow) -> Reason | None:
    """A member who has not voted in this round may stand aside for their seat's alternate."""
    if flow.user is None:
        return None
    if Vote.objects.filter(request=flow.case, member=flow.user, round=flow.case.vote_round).exists():
        return Reason(
            "already_voted_cannot_stand_aside",
            _("You have already voted in this round: your seat cannot pass to its alternate."),
            article=charter.INDEPENDENCE,
        )
    sitting = _sitting(flow).sitting.get(flow.user.pk)
    if sitting is None or sitting.alternate_for:
        return None  # the role refuses with its own reason
    if sitting.seat.alternate_id is None:
        return Reason(
            "no_alternate",
            _("Your seat has no alternate to sit in your place."),
            article=charter.INDEPENDENCE,
        )
    return None


def not_assigned_already(flow: RequestFlow) -> Reason | None:
    """Assigning a request to the officer who already has it changes nothing: said rather than audited."""
    wanted = flow.data.get("assignee")
    if wanted is not None and wanted == flow.case.assignee_id:
        if flow.user is not None and wanted == flow.user.pk:
            return Reason("already_assigned", _("This request is already assigned to you."))
        return Reason("already_assigned", _("This request is already assigned to this officer."))
    return None


def not_declared_yet(flow: RequestFlow) -> Reason | None:
    if flow.user is not None and ConflictDeclaration.objects.filter(request=flow.case, member=flow.user).exists():
        return Reason("already_declared", AlreadyDeclared.default_message, error=AlreadyDeclared)
    return None


# --- the flow ---------------------------------------------------------------------------------


@register
class RequestFlow(Flow):
    model = DialogueRequest
    #: The rows the units write that every audit event's digest covers with the request (engine.snapshot).
    audited_rows = {
        "votes": AuditedRows(Vote, "request", fields=("member", "side", "round", "decision", "reason")),
        "outcome": AuditedRows(
            Outcome,
            "request",
            one=True,
            fields=(
                "visibility",
                "restriction_reason",
                "public_summary",
                "minutes",
                "summary",
                "recommendations",
                "agreements",
                "what_changed",
                "who_changed",
                "significance",
                "contribution",
                "evidence",
                "documented_by",
            ),
        ),
        "action_items": AuditedRows(
            ActionItem,
            "request",
            fields=("description", "owner_organization", "owner_person", "due_date", "status", "justification"),
        ),
    }
    state = State(str, default=DRAFT)
    state_labels = {
        DRAFT: _("Draft"),
        SUBMITTED: _("Submitted"),
        INFO_REQUESTED: _("Information requested"),
        IN_COMMITTEE: _("In committee"),
        APPROVED: _("Approved"),
        MEETING_SCHEDULED: _("Meeting scheduled"),
        MEETING_HELD: _("Meeting held"),
        OUTCOME_DOCUMENTED: _("Outcome documented"),
        FOLLOW_UP: _("Follow-up"),
        CLOSED: _("Closed"),
        DECLINED: _("Declined"),
        REJECTED: _("Rejected"),
        WITHDRAWN: _("Withdrawn"),
        LAPSED: _("Lapsed"),
    }
    final_states = frozenset({CLOSED, DECLINED, REJECTED, WITHDRAWN, LAPSED})

    # Intake and triage

    @transition(
        state,
        source=DRAFT,
        target=SUBMITTED,
        label=_("Submit"),
        roles=[requester],
        guards=[organization_active, charter_accepted, counterpart_on_other_side, required_fields_present],
    )
    def submit(self) -> None:
        self.case.submitted_at = self.clock()

    @transition(
        state,
        source=SUBMITTED,
        target=INFO_REQUESTED,
        label=_("Request information"),
        roles=[secretariat],
        form=forms.MessageForm,
        pauses_clock=True,
        on_success=effects.request_info_written,
    )
    def request_info(self, *, message: str) -> None:
        """The triage clock pauses while the requester has the turn."""

    @transition(
        state,
        source=INFO_REQUESTED,
        target=SUBMITTED,
        label=_("Provide information"),
        roles=[requester],
        form=forms.MessageForm,
        on_success=effects.provide_info_written,
    )
    def provide_info(self, *, message: str) -> None:
        """The answer goes back to the secretariat; its triage clock resumes."""

    @transition(state, source=INFO_REQUESTED, target=LAPSED, label=_("Lapse"), roles=[automatic], system=True)
    def lapse(self) -> None:
        """The requester did not answer the information request in time."""

    @transition(
        state,
        source=SUBMITTED,
        target=IN_COMMITTEE,
        label=_("Accept"),
        roles=[secretariat],
        on_success=effects.accept_written,
    )
    def accept(self) -> None:
        self.case.accepted_at = self.clock()

    @transition(
        state,
        source=[SUBMITTED, INFO_REQUESTED],
        target=DECLINED,
        label=_("Decline"),
        roles=[secretariat],
        guards=[article_exists],
        form=forms.DeclineForm,
    )
    def decline(self, *, reason: str, article: str) -> None:
        self.case.decline_reason = reason
        self.case.decline_article = article

    @transition(
        state,
        source=BEFORE_MEETING_HELD,
        target=WITHDRAWN,
        label=_("Withdraw"),
        roles=[requester],
        guards=[no_session_held],
        form=forms.ReasonForm,
        on_success=effects.withdraw_written,
    )
    def withdraw(self, *, reason: str) -> dict[str, Any]:
        self.case.withdraw_reason = reason
        return self._cancelled_invitees()

    def _cancelled_invitees(self) -> dict[str, Any]:
        """Who was invited to the sessions being cancelled: they receive the cancellation (METHOD:CANCEL)."""
        scheduled = sessions.scheduled_sessions(self.case)
        invitees = Meeting.invitees.through.objects.filter(meeting__in=scheduled).values_list("user_id", flat=True)
        if not scheduled.exists():
            return {}
        return {"invitees": sorted(set(invitees))}

    # The committee

    @transition(
        state,
        source=IN_COMMITTEE,
        target=APPROVED,
        label=_("Approve"),
        roles=[automatic],
        guards=[_decision_guard(committee.APPROVE)],
        system=True,
        visible_to=None,
    )
    def approve(self) -> dict[str, Any]:
        return self._decided(DialogueRequest.Decision.APPROVED, "")

    @transition(
        state,
        source=IN_COMMITTEE,
        target=REJECTED,
        label=_("Reject"),
        roles=[automatic],
        guards=[_decision_guard(committee.REJECT), reject_votes_reasoned],
        system=True,
    )
    def reject(self) -> dict[str, Any]:
        return self._decided(DialogueRequest.Decision.REJECTED, "")

    @transition(
        state,
        source=IN_COMMITTEE,
        target=chosen_target(
            lambda flow, decision="", **rest: REJECTED if decision == "reject" else APPROVED, APPROVED, REJECTED
        ),
        label=_("Cast the deciding vote"),
        roles=[chair, deputy_chair],
        guards=[votes_tied],
        form=forms.DecideForm,
        description=_("On a tie the chair decides: approved, or rejected."),
    )
    def decide(self, *, decision: str, reason: str) -> dict[str, Any]:
        casting = _sitting(self).casting_voter()
        result = self._decided(
            DialogueRequest.Decision.REJECTED if decision == "reject" else DialogueRequest.Decision.APPROVED, reason
        )
        result["casting_vote_by"] = casting[1] if casting else ""
        return result

    def _decided(self, decision: str, reason: str) -> dict[str, Any]:
        self.case.decision = decision
        self.case.decision_reason = reason
        self.case.decided_at = self.clock()
        return {"tally": committee.tally(self.case, self.clock()).as_dict()}

    @transition(
        state,
        source=IN_COMMITTEE,
        target=IN_COMMITTEE,
        label=_("Refer to the full platform"),
        roles=[secretariat_lead],
        guards=[referral_allowed],
        form=forms.ReasonForm,
        description=_(
            "When a side has no eligible member even after alternates and the committee's rule says so, "
            "the secretariat lead refers the request to the full platform."
        ),
    )
    def referred_to_platform(self, *, reason: str) -> dict[str, Any]:
        tally = committee.tally(self.case, self.clock())
        self.case.referred_at = self.clock()
        self.case.referral_reason = reason
        return {"tally": tally.as_dict()}

    @transition(
        state,
        source=IN_COMMITTEE,
        target=chosen_target(
            lambda flow, decision="", **rest: REJECTED if decision == "reject" else APPROVED, APPROVED, REJECTED
        ),
        label=_("Record the full platform's decision"),
        roles=[secretariat_lead],
        guards=[was_referred],
        form=forms.DecideForm,
        description=_("The secretariat lead records what the full platform decided on a referred request."),
    )
    def platform_decided(self, *, decision: str, reason: str) -> dict[str, Any]:
        result = self._decided(
            DialogueRequest.Decision.REJECTED if decision == "reject" else DialogueRequest.Decision.APPROVED, reason
        )
        result["decided_by"] = "full_platform"
        return result

    @transition(
        state,
        source=REJECTED,
        target=IN_COMMITTEE,
        label=_("Appeal"),
        roles=[requester],
        guards=[appeal_allowed],
        form=forms.ReasonForm,
    )
    def appeal(self, *, reason: str) -> dict[str, Any]:
        self.case.appeal_used = True
        self.case.appeal_reason = reason
        self.case.appealed_at = self.clock()
        self.case.vote_round += 1
        self.case.decision = ""
        self.case.decision_reason = ""
        self.case.decided_at = None
        return {"round": self.case.vote_round}

    # The meeting: a series of sessions, each scheduled, rescheduled, cancelled and recorded on its own.
    # The request is "meeting scheduled" while a session is to come, "meeting held" once none is.

    @transition(
        state,
        source=[APPROVED, MEETING_SCHEDULED, MEETING_HELD],
        target=MEETING_SCHEDULED,
        label=_("Schedule a session"),
        roles=[secretariat],
        guards=[meeting_in_future, business_day_or_override, both_sides_invited],
        form=forms.MeetingForm,
        on_success=effects.schedule_written,
        description=_("The first session of the dialogue, or a further one (a workshop, a follow-up meeting)."),
    )
    def schedule_meeting(self, **fields: Any) -> dict[str, Any]:
        kinds = {value for value, _label in Meeting.Kind.choices}
        kind = fields.get("kind") or (self.case.format if self.case.format in kinds else Meeting.Kind.ROUNDTABLE)
        return {
            "invitees": fields.get("invitees") or default_invitee_ids(self.case),
            "number": sessions.next_number(self.case),
            "kind": kind,
            **_day_override(fields),
        }

    @transition(
        state,
        source=MEETING_SCHEDULED,
        target=MEETING_SCHEDULED,
        label=_("Reschedule the meeting"),
        roles=[secretariat],
        guards=[session_exists, meeting_in_future, business_day_or_override, both_sides_invited],
        form=forms.RescheduleForm,
        on_success=effects.reschedule_written,
    )
    def reschedule_meeting(self, **fields: Any) -> dict[str, Any]:
        meeting = session_of(self)
        assert meeting is not None  # the guard
        invitees = fields.get("invitees") or list(meeting.invitees.values_list("pk", flat=True))
        return {
            "session": meeting.pk,
            "number": meeting.number,
            "invitees": invitees or default_invitee_ids(self.case),
            **_day_override(fields),
        }

    @transition(
        state,
        source=MEETING_SCHEDULED,
        target=chosen_target(after_cancel, APPROVED, MEETING_SCHEDULED, MEETING_HELD),
        label=_("Cancel the meeting"),
        roles=[secretariat],
        guards=[session_exists],
        form=forms.CancelMeetingForm,
        on_success=effects.cancel_written,
        description=_("Back to approved when no other session is held or to come."),
    )
    def cancel_meeting(self, *, reason: str, session: int | None = None) -> dict[str, Any]:
        meeting = session_of(self)
        assert meeting is not None  # the guard
        return {
            "session": meeting.pk,
            "number": meeting.number,
            "invitees": sorted(meeting.invitees.values_list("pk", flat=True)),
        }

    @transition(
        state,
        source=MEETING_SCHEDULED,
        target=chosen_target(after_record, MEETING_HELD, MEETING_SCHEDULED),
        label=_("Record the meeting"),
        roles=[secretariat],
        guards=[session_exists, meeting_started],
        form=forms.RecordMeetingForm,
        on_success=effects.record_written,
    )
    def record_meeting(self, **fields: Any) -> dict[str, Any]:
        """Attendance rows (by organization and per person) and the session's minutes are written by the effect."""
        meeting = session_of(self)
        assert meeting is not None  # the guard
        return {"session": meeting.pk, "number": meeting.number}

    @action(
        source=MEETING_SCHEDULED,
        label=_("Participant registered"),
        roles=[secretariat, party_member],
        guards=[registration_open, session_has_place],
        form=forms.RegistrationForm,
        on_success=effects.participant_written,
        visible_to=(secretariat, party_member, auditor),
    )
    def participant_registered(self, **fields: Any) -> dict[str, Any]:
        meeting = session_of(self)
        assert meeting is not None  # the guard
        return {"session": meeting.pk, "number": meeting.number}

    @action(
        source=[MEETING_SCHEDULED, MEETING_HELD],
        label=_("Attendance recorded"),
        roles=[secretariat],
        guards=[held_session_exists],
        form=forms.AttendanceForm,
        on_success=effects.attendance_written,
        visible_to=(secretariat, party_member, auditor),
    )
    def attendance_recorded(self, **fields: Any) -> dict[str, Any]:
        meeting = session_of(self, (Meeting.Status.HELD,))
        assert meeting is not None  # the guard
        return {"session": meeting.pk, "number": meeting.number}

    # Outcome and follow-up

    @transition(
        state,
        source=MEETING_HELD,
        target=OUTCOME_DOCUMENTED,
        label=_("Document the outcome"),
        roles=[secretariat],
        guards=[minutes_present, series_minutes_present, harvesting_complete, restriction_justified],
        form=forms.OutcomeForm,
        on_success=effects.document_outcome_written,
    )
    def document_outcome(self, **fields: Any) -> dict[str, Any]:
        """The outcome row is written by the effect; it documents the series; the parties now confirm the minutes."""
        series = sessions.series(self.case)
        held = [session for session in series if session["status"] == Meeting.Status.HELD]
        if len(held) == 1 and not held[0]["minutes"]:
            held[0]["minutes"] = fields.get("minutes") or ""  # a lone session's minutes are the outcome's
        return {"sessions": series}

    @transition(
        state,
        source=OUTCOME_DOCUMENTED,
        target=OUTCOME_DOCUMENTED,
        label=_("Confirm the minutes"),
        roles=[requester, counterpart],
        guards=[minutes_open_for_confirmation, no_correction_pending],
        form=forms.ConfirmMinutesForm,
        on_success=effects.confirm_minutes_written,
    )
    def confirm_minutes(self, *, organization: int | None = None) -> dict[str, Any]:
        organization = organization or confirmable_organizations(self)[0]
        confirmed = set(
            MinutesConfirmation.objects.filter(outcome__request=self.case).values_list("organization_id", flat=True)
        )
        complete = committee.party_organization_ids(self.case) <= confirmed | {organization}
        if complete:
            self._minutes_confirmed()
        return {"organization": organization, "minutes_confirmed": complete}

    @transition(
        state,
        source=OUTCOME_DOCUMENTED,
        target=OUTCOME_DOCUMENTED,
        label=_("Confirm the minutes by silence"),
        roles=[automatic],
        guards=[minutes_open_for_confirmation, no_correction_pending],
        system=True,
        settles_deadline=True,
        description=_("The confirmation period passed without objection: silence is consent."),
        on_success=effects.silence_written,
    )
    def confirm_minutes_by_silence(self) -> dict[str, Any]:
        outcome = Outcome.objects.get(request=self.case)
        confirmed = set(outcome.confirmations.values_list("organization_id", flat=True))
        silent = sorted(committee.party_organization_ids(self.case) - confirmed)
        self._minutes_confirmed(outcome)
        return {"silent_organizations": silent}

    # An objection instead of a confirmation: the secretariat revises the minutes or refuses the request.
    # While one is pending the parties' clock is paused (effects.pause_clock), so silence cannot confirm.

    @transition(
        state,
        source=OUTCOME_DOCUMENTED,
        target=OUTCOME_DOCUMENTED,
        label=_("Request a correction of the minutes"),
        roles=[requester, counterpart],
        guards=[correction_open],
        form=forms.MinutesCorrectionForm,
        description=_(
            "Instead of confirming: say what is wrong and propose your wording. The confirmation period pauses "
            "until the secretariat revises the minutes or answers."
        ),
        on_success=effects.correction_requested_written,
        visible_to=(secretariat, party_member, auditor),
    )
    def minutes_correction_requested(self, *, correction: str, organization: int | None = None) -> dict[str, Any]:
        waiting = {item.organization_id for item in pending_corrections(self)}
        organization = organization or next(pk for pk in confirmable_organizations(self) if pk not in waiting)
        outcome = Outcome.objects.get(request=self.case)
        return {"organization": organization, "revision": outcome.minutes_revision, "visibility": outcome.visibility}

    @transition(
        state,
        source=OUTCOME_DOCUMENTED,
        target=OUTCOME_DOCUMENTED,
        label=_("Revise the minutes"),
        roles=[secretariat],
        guards=[minutes_not_yet_confirmed, revision_changes_minutes],
        form=forms.MinutesRevisionForm,
        description=_(
            "The revised minutes replace the current ones; earlier confirmations no longer count and the "
            "confirmation period starts again for every party."
        ),
        on_success=effects.minutes_revised_written,
        visible_to=(secretariat, party_member, auditor),
    )
    def minutes_revised(self, *, minutes: str, note: str) -> dict[str, Any]:
        outcome = Outcome.objects.get(request=self.case)
        return {
            "revision": outcome.minutes_revision + 1,
            "previous_minutes_sha256": _sha256(outcome.minutes),
            "minutes_sha256": _sha256(minutes),
            "confirmations_reset": sorted(outcome.confirmations.values_list("organization_id", flat=True)),
            "corrections_revised": [item.pk for item in pending_corrections(self)],
            "visibility": outcome.visibility,
        }

    @transition(
        state,
        source=OUTCOME_DOCUMENTED,
        target=OUTCOME_DOCUMENTED,
        label=_("Reject the correction request"),
        roles=[secretariat],
        guards=[correction_answerable],
        form=forms.CorrectionRejectionForm,
        description=_(
            "The minutes stay as they are; the party is told why, and the confirmation period resumes where it paused."
        ),
        on_success=effects.correction_rejected_written,
        visible_to=(secretariat, party_member, auditor),
    )
    def minutes_correction_rejected(self, *, reason: str, correction_id: int | None = None) -> dict[str, Any]:
        pending = pending_corrections(self)
        answered = next(item for item in pending if not correction_id or item.pk == correction_id)
        return {
            "correction_id": answered.pk,
            "organization": answered.organization_id,
            "visibility": Outcome.objects.filter(request=self.case).values_list("visibility", flat=True).first(),
        }

    def _minutes_confirmed(self, outcome: Outcome | None = None) -> None:
        outcome = outcome or Outcome.objects.get(request=self.case)
        now = self.clock()  # the scan's as-of time when silence confirms them
        self.case.minutes_confirmed_at = now
        if outcome.visibility == Outcome.Visibility.PUBLIC:
            self.case.published = True
            self.case.published_at = now

    @transition(
        state,
        source=OUTCOME_DOCUMENTED,
        target=FOLLOW_UP,
        label=_("Start follow-up"),
        roles=[secretariat],
        guards=[minutes_confirmed],
    )
    def start_follow_up(self) -> None:
        """The parties carry out the action items."""

    @transition(
        state,
        source=[FOLLOW_UP, OUTCOME_DOCUMENTED],
        target=CLOSED,
        label=_("Close"),
        roles=[secretariat],
        guards=[close_allowed, actions_settled],
    )
    def close(self) -> None:
        self.case.closed_at = self.clock()

    @transition(
        state,
        source=CLOSED,
        target=chosen_target(
            lambda flow, target_state="", **rest: reopen_target(flow, target_state), FOLLOW_UP, OUTCOME_DOCUMENTED
        ),
        label=_("Reopen"),
        roles=[secretariat],
        form=forms.ReopenForm,
        description=_("Back to follow-up, or to the documented outcome when there were no follow-up actions."),
        on_success=effects.reopen_written,
    )
    def reopen(self, *, reason: str, target_state: str = "") -> dict[str, Any]:
        self.case.closed_at = None
        return {"reopened_at": self.case.state}

    # Actions that leave the state as it is

    @action(
        source=IN_COMMITTEE,
        label=_("Vote cast"),
        roles=[committee_member],
        guards=[not_voted_yet],
        form=forms.VoteForm,
        on_success=effects.vote_written,
        visible_to=oversight,
    )
    def vote_cast(self, *, decision: str, reason: str = "") -> dict[str, Any]:
        sitting = _sitting(self).sitting[self.user.pk]
        data = {"decision": decision, "reason": reason, "round": self.case.vote_round, "side": sitting.side}
        if sitting.alternate_for:
            # Audited as an alternate's vote: whose seat, in place of whom.
            data.update(as_alternate_for=sitting.alternate_for, seat=sitting.seat.pk)
        return data

    @action(
        source=[SUBMITTED, INFO_REQUESTED, IN_COMMITTEE],
        label=_("Conflict of interest declared"),
        roles=[seat_holder],
        guards=[not_declared_yet],
        form=forms.ConflictForm,
        on_success=effects.conflict_written,
        visible_to=oversight,
    )
    def conflict_declared(self, *, reason: str) -> dict[str, Any]:
        return {"member": self.user.pk, "reason": reason, "automatic": False}

    @action(
        source=IN_COMMITTEE,
        label=_("Absence declared"),
        roles=[committee_member],
        guards=[absence_allowed],
        form=forms.ConflictForm,
        on_success=effects.absence_written,
        visible_to=oversight,
    )
    def absence_declared(self, *, reason: str) -> dict[str, Any]:
        seat = _sitting(self).sitting[self.user.pk].seat
        return {"member": self.user.pk, "reason": reason, "seat": seat.pk, "alternate": seat.alternate_id}

    @action(
        source=[SUBMITTED, INFO_REQUESTED, IN_COMMITTEE, APPROVED, MEETING_SCHEDULED, MEETING_HELD, *FOLLOW_UP_STATES],
        label=_("Request assigned"),
        roles=[secretariat],
        guards=[not_assigned_already],
        form=forms.AssignForm,
        on_success=effects.assignee_written,
    )
    def assigned(self, *, assignee: int, reason: str = "", assigned_to: str = "") -> dict[str, Any]:
        """The secretariat officer who handles the request from now on (the queue's "assign to me")."""
        previous = self.case.assignee_id
        self.case.assignee_id = assignee
        return {"assignee": assignee, "previous": previous, "assigned_to": assigned_to, "reason": reason}

    # Actions whose rows their services write (files, follow-up items) before recording the event;
    # declared here for who may take them and when (``engine.authorize`` / ``engine.capabilities``).

    @action(source=DRAFT, label=_("Draft edited"), roles=[requester])
    def update(self) -> None:
        """The requester edits the draft; every changed field is audited (the service writes it)."""

    @action(source=ALL_STATES, label=_("Document added"), roles=[secretariat, party_member])
    def document_added(self) -> None:
        """A document on the request: the parties (counterparts once accepted) and the secretariat."""

    @action(
        source=FOLLOW_UP_STATES,
        label=_("Follow-up action added"),
        roles=[secretariat],
        guards=[owner_is_party, due_date_not_past],
    )
    def action_item_created(self) -> None:
        """The secretariat records a commitment; its owner is a party to the request."""

    @action(
        source=FOLLOW_UP_STATES,
        label=_("Follow-up action changed"),
        roles=[secretariat, action_owner],
        guards=[owner_is_party, only_secretariat_edits, due_date_not_past],
    )
    def action_item_updated(self) -> None:
        """Owners report status; the secretariat may change anything."""

    @action(
        source=FOLLOW_UP_STATES, label=_("Progress reported on a follow-up action"), roles=[secretariat, action_owner]
    )
    def action_update_added(self) -> None:
        """An owner (or the secretariat) reports progress with evidence."""

    events = (
        EventSpec("create", _("Request created")),
        EventSpec("conflict_recused", _("Committee member recused automatically"), visible_to=oversight),
        EventSpec("committee_tied", _("The committee's votes are tied: the chair decides")),
        EventSpec("document_added", _("Document added")),
        # No longer written (reads go to the access log, engine.access_log): kept for the events already on chains.
        EventSpec("restricted_read", _("Restricted material read"), visible_to=(secretariat, auditor)),
        EventSpec("action_status_changed", _("Follow-up action status changed")),
    )

    @classmethod
    def viewer_ids(cls, case: Any, user_ids: Any) -> set[int]:
        """``selectors.visible_requests`` asked the other way round: who among ``user_ids`` sees ``case``."""
        members = Q(memberships__active=True, memberships__organization__active=True)
        own = members & Q(memberships__organization_id=case.requesting_organization_id)
        seen = own
        if case.accepted_at is not None:
            seen |= members & Q(memberships__organization_id__in=committee.counterpart_ids(case))
        if case.state != DRAFT:
            oversight = [PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD, PlatformRole.Role.AUDITOR]
            seen |= Q(platform_roles__role__in=oversight) | Q(committee_seats__active=True)
        users = get_user_model().objects.filter(seen, pk__in=list(user_ids), is_active=True)
        return set(users.values_list("pk", flat=True).distinct())

    def can_view(self) -> bool:
        from .selectors import visible_requests

        return self.user is not None and visible_requests(self.user).filter(pk=self.case.pk).exists()

    # Who hears about what (used by the notification router)

    def audience(self, name: str) -> list[Any]:
        return list(audience_users(self.case, name))


AUDIENCES = (
    "requester",
    "counterparts",
    "parties",
    "secretariat",
    "secretariat_lead",
    "committee",
    "pending_voters",
    "chair",
    "invitees",
    "action_owners",
    "auditors",
    "assignee",
)


def audience_users(request: DialogueRequest, name: str) -> Any:
    """Active users in relation ``name`` to ``request`` (a queryset; empty for unknown names)."""
    users = get_user_model().objects.filter(is_active=True)
    coordinators = {"memberships__role": Membership.Role.COORDINATOR, "memberships__active": True}
    if name == "requester":
        return users.filter(memberships__organization_id=request.requesting_organization_id, **coordinators).distinct()
    if name == "counterparts":
        return users.filter(
            memberships__organization_id__in=committee.counterpart_ids(request), **coordinators
        ).distinct()
    if name == "parties":
        return users.filter(
            memberships__organization_id__in=committee.party_organization_ids(request), **coordinators
        ).distinct()
    if name == "secretariat":
        roles = [PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD]
        return users.filter(platform_roles__role__in=roles).distinct()
    if name == "secretariat_lead":
        return users.filter(platform_roles__role=PlatformRole.Role.SECRETARIAT_LEAD).distinct()
    if name == "auditors":
        return users.filter(platform_roles__role=PlatformRole.Role.AUDITOR).distinct()
    if name == "committee":
        return users.filter(committee_seats__active=True).distinct()
    if name == "chair":
        chairs = users.filter(committee_seats__active=True, committee_seats__is_chair=True)
        has_deputy = users.filter(committee_seats__active=True, committee_seats__is_deputy_chair=True).exists()
        casting = committee.composition(request).casting_voter() if has_deputy else None
        if casting is not None and casting[1] == "deputy_chair":
            # The chair is recused: the deputy who casts the deciding vote hears what the chair would.
            return users.filter(Q(pk__in=chairs.values("pk")) | Q(pk=casting[0])).distinct()
        return chairs.distinct()
    if name == "pending_voters":
        tally = committee.tally(request)
        voted = {vote.member_id for vote in tally.votes}
        return users.filter(pk__in=[pk for pk in tally.eligible if pk not in voted])
    if name == "invitees":
        meeting = current_meeting(request)
        return meeting.invitees.filter(is_active=True) if meeting else users.none()
    if name == "assignee":
        return users.filter(pk=request.assignee_id) if request.assignee_id else users.none()
    if name == "action_owners":
        open_items = ActionItem.objects.filter(request=request).exclude(
            status__in=[ActionItem.Status.DONE, ActionItem.Status.DROPPED]
        )
        people = open_items.filter(owner_person__isnull=False).values("owner_person")
        organizations = open_items.values("owner_organization")
        return users.filter(
            Q(pk__in=people) | Q(memberships__organization_id__in=organizations, **coordinators)
        ).distinct()
    return users.none()
