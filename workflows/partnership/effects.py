"""What each partnership action writes inside its transaction: the ``on_success`` steps of the flow.

The engine runs these after the action's audit event is written, whoever called it (the API, the
portal, the SLA scan, the committee), so the rows exist before the outbox router reads them.
Each is ``(flow, event) -> None``: ``flow.case`` is the locked request, ``flow.user`` the actor.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime

import engine
from engine import sla
from engine.models import AuditEvent, SlaClock

from . import committee
from .errors import AlreadyDeclared, AlreadyVoted
from .models import (
    Attendance,
    ConflictDeclaration,
    DialogueRequest,
    InfoRequest,
    Meeting,
    MeetingChange,
    MinutesConfirmation,
    MinutesCorrection,
    Outcome,
    Participant,
    SeatAbsence,
    Vote,
)

OUTCOME_DOCUMENTED = "outcome_documented"


def current_meeting(request: DialogueRequest) -> Meeting | None:
    return (
        Meeting.objects.filter(request=request)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-created_at", "-id")
        .first()
    )


def stop_clock(request: DialogueRequest, state: str, now: Any) -> int:
    """Stop the open clock of ``state``: its owners have done their part though the state stays."""
    return SlaClock.objects.filter(
        case_type=request.case_type(), case_id=request.pk, state=state, stopped_at__isnull=True
    ).update(stopped_at=now, paused_at=None, status=SlaClock.Status.STOPPED)


def _open_clock(request: DialogueRequest, state: str) -> Any:
    return SlaClock.objects.filter(
        case_type=request.case_type(), case_id=request.pk, state=state, stopped_at__isnull=True
    )


def pause_clock(request: DialogueRequest, state: str, now: Any) -> int:
    """Pause the running clock of ``state`` while the turn is elsewhere though the state stays.

    The engine pauses a clock when a transition declared ``pauses_clock`` leaves its state; an
    objection keeps the state, so its effect pauses it the same way: the scan neither warns, breaches
    nor settles a paused clock (silence cannot confirm), and the paused time does not count.
    """
    return _open_clock(request, state).filter(paused_at__isnull=True).update(paused_at=now)


def resume_clock(request: DialogueRequest, state: str, now: Any) -> int:
    """Resume the paused clock of ``state`` with the time it had left (``engine.sla.clock_resume``)."""
    resumed = 0
    for clock in _open_clock(request, state).filter(paused_at__isnull=False).select_related("policy"):
        sla.clock_resume(clock, now)
        resumed += 1
    return resumed


def restart_clock(request: DialogueRequest, state: str, now: Any) -> SlaClock | None:
    """Stop the open clock of ``state`` and start a new one with the policy's whole allowance."""
    stop_clock(request, state, now)
    policy = sla.policy_for(request.case_type(), state)
    return sla.clock_start(request, policy, now) if policy is not None else None


def _when(event: AuditEvent) -> Any:
    return event.occurred_at


def _dt(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) else value


def request_info_written(flow: Any, event: AuditEvent) -> None:
    request, actor = flow.case, flow.user
    InfoRequest.objects.create(request=request, message=event.data["message"], asked_by=actor, asked_at=_when(event))


def provide_info_written(flow: Any, event: AuditEvent) -> None:
    request, actor = flow.case, flow.user
    question = InfoRequest.objects.filter(request=request, answered_at__isnull=True).order_by("-asked_at").first()
    if question is None:
        return
    question.answer = event.data["message"]
    question.answered_by = actor
    question.answered_at = _when(event)
    question.save(update_fields=["answer", "answered_by", "answered_at"])


def accept_written(flow: Any, event: AuditEvent) -> None:
    """Recuse, visibly, every seat holder who belongs to a party organization."""
    request = flow.case
    declared = set(ConflictDeclaration.objects.filter(request=request).values_list("member_id", flat=True))
    for member_id, why in sorted(committee.recusals(request).items()):
        if why != "organization" or member_id in declared:
            continue
        ConflictDeclaration.objects.create(
            request=request,
            member_id=member_id,
            automatic=True,
            reason=str(ConflictDeclaration.AUTOMATIC_REASON),
            declared_at=_when(event),
        )
        engine.record(
            request,
            "conflict_recused",
            actor=None,
            actor_role="system",
            data={"member": member_id, "automatic": True, "reason": "party_organization"},
        )


def _meeting_uid(request: DialogueRequest) -> str:
    return f"{request.reference.lower()}-{uuid.uuid4().hex[:12]}@partnership-dialogue"


def _session(flow: Any, event: AuditEvent) -> Meeting | None:
    pk = event.data.get("session")
    if pk is None:
        return current_meeting(flow.case)
    return Meeting.objects.filter(request=flow.case, pk=pk).first()


def schedule_written(flow: Any, event: AuditEvent) -> None:
    """A new session of the series, with its own calendar UID."""
    request, actor = flow.case, flow.user
    data = event.data
    meeting = Meeting.objects.create(
        request=request,
        number=data.get("number") or 1,
        kind=data.get("kind") or Meeting.Kind.ROUNDTABLE,
        title=data.get("title") or "",
        capacity=data.get("capacity"),
        uid=_meeting_uid(request),
        sequence=0,
        starts_at=_dt(data["starts_at"]),
        ends_at=_dt(data["ends_at"]),
        location=data["location"],
        online_url=data.get("online_url") or "",
        agenda=data["agenda"],
        organizer=actor,
        created_at=_when(event),
        updated_at=_when(event),
    )
    meeting.invitees.set(data["invitees"])


def reschedule_written(flow: Any, event: AuditEvent) -> None:
    """The session moves: same UID, SEQUENCE one higher, so calendars update it."""
    actor = flow.user
    data = event.data
    meeting = _session(flow, event)
    if meeting is None:
        return None
    MeetingChange.objects.create(
        meeting=meeting,
        kind=MeetingChange.Kind.RESCHEDULED,
        old_starts_at=meeting.starts_at,
        old_ends_at=meeting.ends_at,
        new_starts_at=_dt(data["starts_at"]),
        new_ends_at=_dt(data["ends_at"]),
        reason=data.get("reason") or "",
        changed_by=actor,
        changed_at=_when(event),
    )
    meeting.starts_at = _dt(data["starts_at"])
    meeting.ends_at = _dt(data["ends_at"])
    meeting.location = data["location"]
    meeting.agenda = data["agenda"]
    meeting.online_url = data.get("online_url") or ""
    for name in ("kind", "title", "capacity"):
        if data.get(name):
            setattr(meeting, name, data[name])
    meeting.sequence += 1
    meeting.updated_at = _when(event)
    meeting.save()
    meeting.invitees.set(data["invitees"])
    return None


def cancel_written(flow: Any, event: AuditEvent) -> None:
    """The session is cancelled: same UID, higher SEQUENCE, so calendars drop it."""
    meeting = _session(flow, event)
    if meeting is not None:
        _cancel(meeting, flow.user, event)


def _cancel(meeting: Meeting, actor: Any, event: AuditEvent) -> None:
    reason = event.data.get("reason") or ""
    MeetingChange.objects.create(
        meeting=meeting,
        kind=MeetingChange.Kind.CANCELLED,
        old_starts_at=meeting.starts_at,
        old_ends_at=meeting.ends_at,
        reason=reason,
        changed_by=actor,
        changed_at=_when(event),
    )
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancel_reason = reason
    meeting.sequence += 1
    meeting.updated_at = _when(event)
    meeting.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])


def _attendance(flow: Any, meeting: Meeting, event: AuditEvent) -> None:
    """Registered people present (the others absent) and walk-ins, as the event records them."""
    data = event.data
    present = set(data.get("present") or [])
    registered = Participant.objects.filter(meeting=meeting, walk_in=False)
    if present or data.get("walk_ins"):
        registered.filter(pk__in=present).update(attended=True)
        registered.exclude(pk__in=present).update(attended=False)
    Participant.objects.bulk_create(
        [
            Participant(
                meeting=meeting,
                name=person["name"],
                organization_id=person.get("organization"),
                organization_name=person.get("organization_name") or "",
                side=person["side"],
                gender=person["gender"],
                role=person.get("role") or Participant.Role.PARTICIPANT,
                walk_in=True,
                attended=True,
                registered_by=flow.user,
                registered_at=_when(event),
            )
            for person in data.get("walk_ins") or []
        ]
    )


def record_written(flow: Any, event: AuditEvent) -> None:
    """The session was held: its minutes, who attended (organizations and people)."""
    request = flow.case
    meeting = _session(flow, event)
    if meeting is None:
        return
    _attendance(flow, meeting, event)
    attended = set(event.data.get("attended_organizations") or [])
    attended |= set(
        Participant.objects.filter(meeting=meeting, attended=True, organization__isnull=False).values_list(
            "organization_id", flat=True
        )
    )
    organizations = committee.party_organization_ids(request) | attended
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, organization_id=org, present=org in attended) for org in sorted(organizations)]
    )
    meeting.status = Meeting.Status.HELD
    meeting.minutes = event.data.get("minutes") or ""
    meeting.held_at = _when(event)
    meeting.updated_at = _when(event)
    meeting.save(update_fields=["status", "minutes", "held_at", "updated_at"])


def attendance_written(flow: Any, event: AuditEvent) -> None:
    """Attendance of a held session, recorded (or completed) after it."""
    meeting = _session(flow, event)
    if meeting is None:
        return
    _attendance(flow, meeting, event)
    present_organizations = set(
        Participant.objects.filter(meeting=meeting, attended=True, organization__isnull=False).values_list(
            "organization_id", flat=True
        )
    )
    for organization_id in present_organizations:
        Attendance.objects.update_or_create(
            meeting=meeting, organization_id=organization_id, defaults={"present": True}
        )


def participant_written(flow: Any, event: AuditEvent) -> None:
    """A person registered for a session (the capacity guard ran under the request's row lock)."""
    data = event.data
    meeting = _session(flow, event)
    if meeting is None:
        return
    Participant.objects.create(
        meeting=meeting,
        name=data["name"],
        organization_id=data.get("organization"),
        organization_name=data.get("organization_name") or "",
        side=data["side"],
        gender=data["gender"],
        role=data.get("role") or Participant.Role.PARTICIPANT,
        registered_by=flow.user,
        registered_at=_when(event),
    )


def document_outcome_written(flow: Any, event: AuditEvent) -> None:
    request, actor = flow.case, flow.user
    data = event.data
    held = list(Meeting.objects.filter(request=request, status=Meeting.Status.HELD))
    if len(held) == 1 and not held[0].minutes.strip():
        # A lone session's minutes are the outcome's (the single-meeting lifecycle).
        held[0].minutes = data["minutes"]
        held[0].save(update_fields=["minutes"])
    Outcome.objects.create(
        request=request,
        minutes=data["minutes"],
        summary=data["summary"],
        recommendations=list(data.get("recommendations") or []),
        agreements=data.get("agreements") or "",
        what_changed=data["what_changed"],
        who_changed=data["who_changed"],
        significance=data["significance"],
        contribution=data["contribution"],
        evidence=data["evidence"],
        visibility=data["visibility"],
        restriction_reason=data.get("restriction_reason") or "",
        # Only a restricted outcome needs words in its place: a public one speaks for itself.
        public_summary=(data.get("public_summary") or "")
        if data["visibility"] == Outcome.Visibility.RESTRICTED
        else "",
        documented_by=actor,
        documented_at=_when(event),
    )


def confirm_minutes_written(flow: Any, event: AuditEvent) -> None:
    request, actor = flow.case, flow.user
    MinutesConfirmation.objects.create(
        outcome=Outcome.objects.get(request=request),
        organization_id=event.data["organization"],
        confirmed_by=actor,
        confirmed_at=_when(event),
    )
    if event.data.get("minutes_confirmed"):
        # Every party has confirmed: their turn is over though the state stays.
        stop_clock(request, OUTCOME_DOCUMENTED, _when(event))


def reopen_written(flow: Any, event: AuditEvent) -> None:
    """Minutes already confirmed need no second round of confirmation: stop that clock again."""
    request = flow.case
    if request.state == OUTCOME_DOCUMENTED and request.minutes_confirmed_at is not None:
        stop_clock(request, OUTCOME_DOCUMENTED, _when(event))


def withdraw_written(flow: Any, event: AuditEvent) -> None:
    """Scheduled sessions are cancelled with the request: invitees get the cancellation (same UID, higher SEQUENCE)."""
    for meeting in Meeting.objects.filter(request=flow.case, status=Meeting.Status.SCHEDULED):
        _cancel(meeting, flow.user, event)


def silence_written(flow: Any, event: AuditEvent) -> None:
    """Rows recording which parties stayed silent; their confirmation clock stops."""
    request = flow.case
    outcome = Outcome.objects.get(request=request)
    MinutesConfirmation.objects.bulk_create(
        [
            MinutesConfirmation(outcome=outcome, organization_id=org, silent=True, confirmed_at=_when(event))
            for org in event.data["silent_organizations"]
        ]
    )
    stop_clock(request, OUTCOME_DOCUMENTED, _when(event))


def vote_written(flow: Any, event: AuditEvent) -> None:
    """The member's vote in the current round (one per member and round)."""
    request, actor = flow.case, flow.user
    if Vote.objects.filter(request=request, member=actor, round=request.vote_round).exists():
        raise AlreadyVoted()
    try:
        with transaction.atomic():
            Vote.objects.create(
                request=request,
                member=actor,
                side=event.data["side"],
                round=request.vote_round,
                decision=event.data["decision"],
                reason=event.data.get("reason") or "",
                cast_at=_when(event),
                alternate_for_id=event.data.get("as_alternate_for"),
            )
    except IntegrityError as exc:
        raise AlreadyVoted() from exc


def absence_written(flow: Any, event: AuditEvent) -> None:
    """The member stands aside on this request: the seat's alternate sits from now on."""
    SeatAbsence.objects.create(
        request=flow.case, member=flow.user, reason=event.data["reason"], declared_at=_when(event)
    )


def conflict_written(flow: Any, event: AuditEvent) -> None:
    """The member's declaration: they are recused from now on."""
    request, actor = flow.case, flow.user
    if ConflictDeclaration.objects.filter(request=request, member=actor).exists():
        raise AlreadyDeclared()
    ConflictDeclaration.objects.create(
        request=request, member=actor, reason=event.data["reason"], automatic=False, declared_at=_when(event)
    )


def assignee_written(flow: Any, event: AuditEvent) -> None:
    """The request's new assignee (an action saves no field of the case itself)."""
    DialogueRequest.objects.filter(pk=flow.case.pk).update(assignee_id=event.data["assignee"])


def correction_requested_written(flow: Any, event: AuditEvent) -> None:
    """A party objects: its request is recorded and the parties' confirmation clock pauses."""
    request = flow.case
    MinutesCorrection.objects.create(
        outcome=Outcome.objects.get(request=request),
        organization_id=event.data["organization"],
        revision=event.data["revision"],
        text=event.data["correction"],
        requested_by=flow.user,
        requested_at=_when(event),
    )
    pause_clock(request, OUTCOME_DOCUMENTED, _when(event))


def minutes_revised_written(flow: Any, event: AuditEvent) -> None:
    """New minutes: pending requests are answered, every party confirms again, on a new clock."""
    request, data, now = flow.case, event.data, _when(event)
    outcome = Outcome.objects.get(request=request)
    held = list(Meeting.objects.filter(request=request, status=Meeting.Status.HELD))
    if len(held) == 1 and held[0].minutes == outcome.minutes:
        # A lone session's minutes are the outcome's (the single-meeting lifecycle): they change together.
        held[0].minutes = data["minutes"]
        held[0].save(update_fields=["minutes"])
    outcome.minutes = data["minutes"]
    outcome.minutes_revision = data["revision"]
    outcome.minutes_revised_at = now
    outcome.save(update_fields=["minutes", "minutes_revision", "minutes_revised_at"])
    outcome.confirmations.all().delete()
    MinutesCorrection.objects.filter(pk__in=data["corrections_revised"]).update(
        status=MinutesCorrection.Status.REVISED, answer=data["note"], answered_by=flow.user, answered_at=now
    )
    restart_clock(request, OUTCOME_DOCUMENTED, now)


def correction_rejected_written(flow: Any, event: AuditEvent) -> None:
    """The minutes stay; once no request is pending, the parties' clock resumes where it paused."""
    request, now = flow.case, _when(event)
    MinutesCorrection.objects.filter(pk=event.data["correction_id"]).update(
        status=MinutesCorrection.Status.REJECTED, answer=event.data["reason"], answered_by=flow.user, answered_at=now
    )
    if not MinutesCorrection.objects.filter(outcome__request=request, status=MinutesCorrection.Status.PENDING).exists():
        resume_clock(request, OUTCOME_DOCUMENTED, now)
