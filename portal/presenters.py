"""Turn what selectors return into what pages show: labels, timeline entries, grouped actions.

Presentation only: who may do what comes from the engine and the domain's services, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from engine import registry
from engine.text import join_words

# Event data worth showing in the timeline, with their labels (other keys stay in the audit export).
DETAIL_LABELS: dict[str, Any] = {
    "message": _("Message"),
    "reason": _("Reason"),
    "article": _("Charter article"),
    "decision": _("Decision"),
    "location": _("Location"),
    "starts_at": _("Starts"),
    "description": _("Action"),
    "due_date": _("Due date"),
    "justification": _("Justification"),
    "text": _("Progress"),
    "name": _("File"),
    "visibility": _("Visibility"),
    "summary": _("Summary"),
    "assigned_to": _("Assigned to"),
    "correction": _("Correction requested"),
    "note": _("What the revision changes"),
}
OWNER_LABELS: dict[str, Any] = {
    "secretariat": _("Secretariat"),
    "committee": _("Committee"),
    "requester": _("Requester"),
    "counterpart": _("Counterpart"),
    "counterparts": _("Counterparts"),
    "parties": _("The parties"),
    "party": _("The parties"),
    "chair": _("Committee chair"),
}


def owner_label(owner: str | None) -> str:
    return str(OWNER_LABELS.get(owner or "", owner or "—"))


def flow_of(case: Any) -> Any:
    return registry.flow_for(type(case))


def state_label(case: Any, state: str | None = None) -> str:
    return str(flow_of(case).state_labels.get(state or case.state, state or case.state))


@dataclass
class TimelineEntry:
    seq: int
    occurred_at: Any
    label: str
    actor: str
    from_state: str = ""
    to_state: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    hash: str = ""


CODED_VALUES: dict[str, dict[str, Any]] = {
    "decision": {"approve": _("Approve"), "reject": _("Reject"), "abstain": _("Abstain")},
    "visibility": {"public": _("Public"), "restricted": _("Restricted")},
}


def _detail_value(key: str, value: Any) -> str:
    """A stored event value as a reader expects it: labels for codes, local dates for timestamps."""
    from django.utils import formats, timezone
    from django.utils.dateparse import parse_date, parse_datetime

    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if key in CODED_VALUES:
        return str(CODED_VALUES[key].get(str(value), value))
    if key == "starts_at" and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if key == "due_date" and isinstance(value, str):
        day = parse_date(value)
        if day is not None:
            return formats.date_format(day, "DATE_FORMAT")
    return str(value)


def event_label(case: Any, action: str) -> str:
    """An event's label, as its flow declares it (transitions, actions and the flow's own events)."""
    spec = flow_of(case).event_specs().get(action)
    return str(spec.label) if spec is not None and spec.label else action.replace("_", " ")


#: Events whose data quote or discuss the outcome: of a restricted outcome, the timeline shows none of it.
OUTCOME_EVENTS = frozenset(
    {"document_outcome", "minutes_correction_requested", "minutes_revised", "minutes_correction_rejected"}
)


def timeline(case: Any, events: list[Any], *, capabilities: Any) -> list[TimelineEntry]:
    """The case's audit events as readable entries, newest first.

    What the reader may see of each event is the flow's declared visibility (``capabilities``): a
    hidden event keeps its place, time and hash, without its actor and data.
    """
    entries = []
    for event in events:
        label = event_label(case, event.action)
        hidden = not capabilities.may_read_event(event.action)
        if event.actor_id is None:
            actor = str(_("The platform"))
        elif hidden:
            actor = str(_("A committee member")) if event.actor_role == "committee_member" else "—"
        else:
            actor = actor_name(event)
        details = []
        data = event.data or {}
        if event.action in OUTCOME_EVENTS and data.get("visibility") == "restricted":
            # A restricted outcome is read through its own audited view, never from the timeline.
            details = [(str(DETAIL_LABELS["visibility"]), _detail_value("visibility", "restricted"))]
        elif not hidden:
            details = [
                (str(DETAIL_LABELS[key]), _detail_value(key, data[key])) for key in DETAIL_LABELS if data.get(key)
            ]
        entries.append(
            TimelineEntry(
                seq=event.seq,
                occurred_at=event.occurred_at,
                label=label,
                actor=actor,
                from_state=state_label(case, event.from_state) if event.from_state else "",
                to_state=state_label(case, event.to_state)
                if event.to_state and event.to_state != event.from_state
                else "",
                details=details,
                hash=event.hash,
            )
        )
    entries.reverse()
    return entries


@dataclass
class AuditRow:
    """One line of the oversight audit log: the event with its flow's labels and the actor's name."""

    event: Any
    label: str
    actor: str
    from_state: str = ""
    to_state: str = ""


def _flow_for_type(case_type: str) -> Any:
    try:
        return registry.flow_for(case_type)
    except LookupError:
        return None


def actor_name(event: Any) -> str:
    """The person behind an event by name (their login only when they have none), or the platform."""
    if event.actor_id is None:
        return str(_("The platform"))
    actor = event.actor
    return (actor.get_full_name() if actor is not None else "") or event.actor_label or "—"


def audit_rows(events: Any) -> list[AuditRow]:
    """Audit events of any workflow, labelled from their own flow's declarations (one source).

    For oversight pages (the secretariat and auditors read every event); an event or state a flow
    no longer declares keeps its stored name rather than disappearing.
    """
    rows = []
    for event in events:
        flow = _flow_for_type(event.case_type)
        if flow is None:
            label, before, after = event.action, event.from_state, event.to_state
        else:
            spec = flow.event_specs().get(event.action)
            label = str(spec.label) if spec is not None and spec.label else event.action.replace("_", " ")
            before = str(flow.state_labels.get(event.from_state, event.from_state)) if event.from_state else ""
            after = str(flow.state_labels.get(event.to_state, event.to_state)) if event.to_state else ""
        rows.append(
            AuditRow(
                event=event,
                label=label,
                actor=actor_name(event),
                from_state=before,
                to_state=after if event.to_state and event.to_state != event.from_state else "",
            )
        )
    return rows


@dataclass
class ActionChoice:
    name: str
    label: str
    allowed: bool
    reasons: list[Any]
    description: str = ""
    #: who may take it, when the user may not (whose turn it is)
    who: str = ""
    #: ends or refuses something for someone (styled as a warning)
    destructive: bool = False


@dataclass
class ActionGroups:
    """Actions the user can take now, those a charter rule blocks (with why), and others' turns."""

    allowed: list[ActionChoice] = field(default_factory=list)
    blocked: list[ActionChoice] = field(default_factory=list)
    others: list[ActionChoice] = field(default_factory=list)


def platform_only(spec: Any) -> bool:
    """Taken by the platform itself (the committee's tally, an SLA deadline): nobody clicks it."""
    return spec.system and all(role.code == "system" for role in spec.roles)


def action_groups(options: list[Any]) -> ActionGroups:
    groups = ActionGroups()
    for option in options:
        if platform_only(option.spec):
            continue
        choice = ActionChoice(
            name=option.name,
            label=option.label,
            allowed=option.allowed,
            reasons=option.reasons,
            description=str(option.spec.description or ""),
            who=join_words(role.label for role in option.spec.roles if role.code != "system"),
            destructive=option.name in DESTRUCTIVE,
        )
        if option.allowed:
            groups.allowed.append(choice)
        elif any(reason.code == "not_permitted" for reason in option.reasons):
            groups.others.append(choice)
        else:
            groups.blocked.append(choice)
    return groups


@dataclass
class Notice:
    """Something waiting for this person on the request, said at the top of the page."""

    kind: str
    title: str
    text: str = ""
    link: str = ""
    link_text: str = ""
    article: Any = None
    #: a unit the notice leads to (its form on the request page)
    action: str = ""


#: What the queue's "waiting for me" says of a request, on its page (``selectors.waiting_reason``).
WAITING_NOTICES: dict[str, tuple[Any, Any]] = {
    "assigned": (
        _("This request is waiting for you"),
        _("It is assigned to you and the next step is the secretariat's."),
    ),
    "party": (
        _("This request is waiting for your organization"),
        _("The next step is your organization's: see the deadline beside the actions."),
    ),
}


def attention(
    case: Any, capabilities: Any, *, tally: Any = None, own_conflict: Any = None, waiting: str = "", minutes: Any = None
) -> list[Notice]:
    """What the request expects of this person now, worded for them (read from ``engine.capabilities``).

    A committee member's pending vote, why a recused member does not vote, and what the chair's
    casting vote is: the rules are the flow's; this only says what its answer means for the reader.
    """
    notices = []
    about_minutes = minutes_notices(capabilities, minutes)
    if waiting == "party" and about_minutes:
        waiting = ""  # the minutes' own notice says what the party's step is, in words of its own
    if waiting in WAITING_NOTICES:
        title, text = WAITING_NOTICES[waiting]
        notices.append(Notice("waiting", str(title), str(text)))
    if capabilities.can("vote_cast"):
        round_number = getattr(tally, "round", None) or getattr(case, "vote_round", 1)
        notices.append(
            Notice(
                "vote",
                str(_("Your vote is awaited")),
                str(
                    _("Round %(round)s of the coordination committee is open and you have not voted yet.")
                    % {"round": round_number}
                ),
                link="#vote-form",
                link_text=str(_("Cast your vote")),
            )
        )
    recused = [reason for reason in capabilities.reasons("vote_cast") if reason.code == "recused"]
    if recused:
        why = getattr(own_conflict, "reason", "") or ""
        text = recused[0].text()
        if why:
            text = f"{text} {_('Recorded reason:')} {why}"
        notices.append(Notice("recused", str(_("You do not vote on this request")), text, article=recused[0].article))
    if capabilities.can("decide"):
        spec = type(capabilities.flow).unit("decide")
        notices.append(
            Notice(
                "casting",
                str(_("The votes are tied: your casting vote decides")),
                str(
                    _(
                        "As chair you break the tie. Your decision, approved or rejected, with its reason, "
                        "is the committee's decision and is written to the request's history."
                    )
                ),
                action="decide",
                link_text=str(spec.label if spec is not None else _("Cast the deciding vote")),
            )
        )
    notices.extend(about_minutes)
    return notices


def minutes_notices(capabilities: Any, minutes: Any) -> list[Notice]:
    """The minutes await this party's confirmation, or a correction awaits the secretariat's answer."""
    if minutes is None:
        return []
    flow = type(capabilities.flow)
    if capabilities.can("confirm_minutes"):
        text = _(
            "Read the minutes and confirm them, or request a correction if something is wrong. Silence counts "
            "as consent when the confirmation period ends."
        )
        revised = _("The minutes were revised: earlier confirmations no longer count.")
        return [
            Notice(
                "minutes",
                str(_("The minutes await your confirmation")),
                f"{revised} {text}" if getattr(minutes, "revision", 1) > 1 else str(text),
                action="confirm_minutes",
                link_text=str(_("Read and confirm the minutes")),
            )
        ]
    if minutes.pending and capabilities.can("minutes_revised"):
        spec = flow.unit("minutes_revised")
        return [
            Notice(
                "minutes_correction",
                str(_("A correction of the minutes is requested")),
                str(
                    _(
                        "Requested by %(organizations)s. Revise the minutes, or refuse the request with a reason; "
                        "until then silence does not confirm them."
                    )
                    % {"organizations": join_words(item.organization.display_name for item in minutes.pending)}
                ),
                action="minutes_revised",
                link_text=str(spec.label if spec is not None else ""),
            )
        ]
    return []


def minutes_turn(minutes: Any) -> str:
    """Whose turn it is on minutes awaiting confirmation: each party still to confirm, by name, or the secretariat."""
    if minutes.pending:
        return str(_("Secretariat: a correction of the minutes is requested"))
    return join_words(organization.display_name for organization in minutes.waiting)


#: "Waiting for others" names the parties that have not confirmed (an objection is theirs to choose, not awaited).
PARTY_MINUTES_UNITS = frozenset({"confirm_minutes"})


def name_waiting_parties(groups: ActionGroups, minutes: Any) -> ActionGroups:
    """In "waiting for others", the minutes' units name each party still to confirm, not its role."""
    if minutes is not None and minutes.waiting:
        names = join_words(organization.display_name for organization in minutes.waiting)
        for choice in groups.others:
            if choice.name in PARTY_MINUTES_UNITS:
                choice.who = names
    return groups


def name_minutes_turns(rows: list[Any]) -> None:
    """Rows whose minutes await confirmation say whom they wait for (``row.turn``), not "the parties"."""
    from workflows.partnership.selectors import minutes_rounds

    rounds = minutes_rounds(rows)
    for row in rows:
        minutes = rounds.get(row.pk)
        if minutes is not None:
            row.turn = minutes_turn(minutes)
            row.minutes = minutes


#: Units that end or refuse something for someone: styled as destructive (GOV.UK "warning" buttons).
DESTRUCTIVE = frozenset({"withdraw", "decline", "reject", "cancel_meeting", "lapse", "minutes_correction_rejected"})

#: What happens next after a unit, said in the confirmation instead of "Done".
NEXT_STEPS: dict[str, Any] = {
    "submit": _("Your request is submitted. The secretariat reviews it next; you will be notified of its decision."),
    "request_info": _("The requester is asked for more information. The deadline pauses until they answer."),
    "provide_info": _("Your answer is sent. The secretariat continues its review."),
    "accept": _("The request is accepted and goes to the coordination committee; its members are asked to vote."),
    "decline": _("The request is declined. The requesting organization is notified with the reason."),
    "withdraw": _("The request is withdrawn. Nothing more happens on it; the secretariat is notified."),
    "approve": _("The committee's approval is recorded. The secretariat schedules the meeting next."),
    "reject": _("The committee's rejection is recorded. The requesting organization is notified with the reason."),
    "decide": _("Your casting vote is recorded as the committee's decision. The parties are notified."),
    "appeal": _("Your appeal is recorded. The committee considers the request again."),
    "schedule_meeting": _("The meeting is scheduled. The parties receive an invitation with the date and place."),
    "reschedule_meeting": _("The meeting is moved. The parties receive the new date."),
    "cancel_meeting": _("The meeting is cancelled. The parties are notified."),
    "record_meeting": _("The meeting is recorded as held. Next: document its outcome and minutes."),
    "document_outcome": _("The outcome is documented. The parties are asked to confirm the minutes."),
    "confirm_minutes": _("Your confirmation is recorded. The minutes are final once every party has confirmed."),
    "minutes_correction_requested": _(
        "Your correction request is sent to the secretariat. It revises the minutes or answers you; until then "
        "the confirmation period is paused."
    ),
    "minutes_revised": _(
        "The revised minutes replace the earlier ones. Every party is asked to confirm them, and a new "
        "confirmation period starts."
    ),
    "minutes_correction_rejected": _(
        "The correction request is refused and the party is told why. The confirmation period resumes."
    ),
    "start_follow_up": _("Follow-up has started. Add the follow-up actions, each with its owner and due date."),
    "close": _("The request is closed. The secretariat can reopen it if needed."),
    "reopen": _("The request is reopened."),
}


def confirmation(case: Any, name: str, label: Any) -> str:
    """The message after a unit ran: what happens next, and where the request now stands."""
    state = state_label(case)
    next_step = NEXT_STEPS.get(name)
    if next_step is None:
        return str(_("%(action)s: recorded. The request is now: %(state)s.") % {"action": label, "state": state})
    return str(_("%(next)s The request is now: %(state)s.") % {"next": next_step, "state": state})
