"""Creating, editing and moving dialogue requests: the one path every change takes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext
from engine.errors import InvalidInput, TransitionNotAllowedError
from engine.models import AuditEvent
from partners.selectors import user_access

from .. import committee, flows
from ..forms import RequestForm
from ..models import (
    Attendance,
    ConflictDeclaration,
    DialogueRequest,
    InfoRequest,
    Meeting,
    MeetingChange,
    MinutesConfirmation,
    Outcome,
)
from ._common import clean, refuse

EDITABLE_FIELDS = (
    "title",
    "summary",
    "policy_question",
    "theme",
    "format",
    "period_start",
    "period_end",
    "expected_participants",
    "language",
)


def _audit_value(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def request_create(*, actor: Any, data: Mapping[str, Any], context: RequestContext | None = None) -> DialogueRequest:
    """A new draft by a coordinator of the requesting organization."""
    cleaned = clean(RequestForm, data)
    organization = cleaned["requesting_organization"]
    if organization.pk not in user_access(actor).coordinated_ids:
        raise refuse("not_permitted", _("Only a coordinator of the requesting organization may open a request for it."))
    fields = {name: cleaned[name] for name in EDITABLE_FIELDS if name in cleaned and cleaned[name] is not None}
    fields["language"] = cleaned.get("language") or DialogueRequest.Language.BOTH
    fields["policy_question"] = cleaned.get("policy_question") or ""
    counterparts = cleaned["counterpart_organizations"]
    event_data = {name: _audit_value(value) for name, value in fields.items()}
    event_data.update(requesting_organization=organization.pk, counterpart_organizations=counterparts)
    request = engine.create_case(
        DialogueRequest,
        actor=actor,
        context=context,
        data=event_data,
        requesting_organization=organization,
        created_by=actor,
        **fields,
    )
    request.counterpart_organizations.set(counterparts)
    return request


@transaction.atomic
def request_update(
    *, request: DialogueRequest, actor: Any, data: Mapping[str, Any], context: RequestContext | None = None
) -> DialogueRequest:
    """Edit a draft (the requester only); every changed field is audited with its old and new value."""
    locked = engine.lock(request)
    if locked.state != flows.DRAFT:
        raise TransitionNotAllowedError(_("Only a draft can be edited."))
    access = user_access(actor)
    if locked.requesting_organization_id not in access.coordinated_ids:
        raise refuse("not_permitted", _("Only the requesting organization's coordinator may edit the draft."))
    cleaned = clean(RequestForm, data, partial=True)
    new_org = cleaned.get("requesting_organization")
    if new_org is not None and new_org.pk not in access.coordinated_ids:
        raise refuse("not_permitted", _("Only a coordinator of the requesting organization may open a request for it."))
    changes: dict[str, list[Any]] = {}
    update_fields: list[str] = []
    for name in (*EDITABLE_FIELDS, "requesting_organization"):
        if name not in cleaned:
            continue
        value = cleaned[name]
        if name == "policy_question" and value is None:
            value = ""
        if name == "language" and not value:
            value = DialogueRequest.Language.BOTH
        old = getattr(locked, name)
        if _audit_value(old) != _audit_value(value):
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(locked, name, value)
            update_fields.append(name)
    if "counterpart_organizations" in cleaned:
        old_ids = sorted(committee.counterpart_ids(locked))
        new_ids = sorted(cleaned["counterpart_organizations"])
        if requesting := (new_org.pk if new_org else locked.requesting_organization_id):
            if requesting in new_ids:
                message = _("The requesting organization cannot be its own counterpart.")
                raise InvalidInput({"counterpart_organizations": [str(message)]})
        if old_ids != new_ids:
            locked.counterpart_organizations.set(new_ids)
            changes["counterpart_organizations"] = [old_ids, new_ids]
            committee.forget_parties(locked)
    if changes:
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*update_fields, "version", "updated_at"])
        engine.record(locked, "update", actor=actor, actor_role="requester", data={"changes": changes}, context=context)
    request.refresh_from_db()
    committee.forget_parties(request)
    return request


# --- transitions ------------------------------------------------------------------------------


def request_transition(
    *,
    request: DialogueRequest,
    name: str,
    actor: Any,
    data: Mapping[str, Any] | None = None,
    files: Any = None,
    idempotency_key: str | None = None,
    expected_version: int | None = None,
    context: RequestContext | None = None,
) -> DialogueRequest:
    """Run transition ``name`` and write the rows it implies (meeting, outcome, ...) in one transaction."""
    with transaction.atomic():
        result = engine.run(
            request,
            name,
            actor=actor,
            data=dict(data) if data is not None and not hasattr(data, "getlist") else data,
            files=files,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            context=context,
        )
        if not result.replayed and result.event is not None:
            after = _AFTER.get(name)
            if after is not None:
                after(request, actor, result.event)
    committee.forget_parties(request)
    return request


def _when(event: AuditEvent) -> Any:
    return event.occurred_at


def _dt(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) else value


def _after_request_info(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    InfoRequest.objects.create(request=request, message=event.data["message"], asked_by=actor, asked_at=_when(event))


def _after_provide_info(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    question = InfoRequest.objects.filter(request=request, answered_at__isnull=True).order_by("-asked_at").first()
    if question is None:
        return
    question.answer = event.data["message"]
    question.answered_by = actor
    question.answered_at = _when(event)
    question.save(update_fields=["answer", "answered_by", "answered_at"])


def _after_accept(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    """Recuse, visibly, every seat holder who belongs to a party organization."""
    declared = set(ConflictDeclaration.objects.filter(request=request).values_list("member_id", flat=True))
    for member_id, why in sorted(committee.recusals(request).items()):
        if why != "organization" or member_id in declared:
            continue
        ConflictDeclaration.objects.create(
            request=request,
            member_id=member_id,
            automatic=True,
            reason=str(_("Member of an organization that is party to the request.")),
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


def _after_schedule(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    data = event.data
    meeting = Meeting.objects.create(
        request=request,
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


def _after_reschedule(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    data = event.data
    meeting = flows.current_meeting(request)
    if meeting is None:
        return _after_schedule(request, actor, event)
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
    meeting.sequence += 1
    meeting.updated_at = _when(event)
    meeting.save()
    meeting.invitees.set(data["invitees"])
    return None


def _after_cancel(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    meeting = flows.current_meeting(request)
    if meeting is None:
        return
    MeetingChange.objects.create(
        meeting=meeting,
        kind=MeetingChange.Kind.CANCELLED,
        old_starts_at=meeting.starts_at,
        old_ends_at=meeting.ends_at,
        reason=event.data["reason"],
        changed_by=actor,
        changed_at=_when(event),
    )
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancel_reason = event.data["reason"]
    meeting.sequence += 1
    meeting.updated_at = _when(event)
    meeting.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])


def _after_record(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    meeting = flows.current_meeting(request)
    if meeting is None:
        return
    attended = set(event.data["attended_organizations"])
    organizations = committee.party_organization_ids(request) | attended
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, organization_id=org, present=org in attended) for org in sorted(organizations)]
    )
    meeting.status = Meeting.Status.HELD
    meeting.updated_at = _when(event)
    meeting.save(update_fields=["status", "updated_at"])


def _after_document_outcome(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    data = event.data
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
        documented_by=actor,
        documented_at=_when(event),
    )


def _after_confirm_minutes(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    MinutesConfirmation.objects.create(
        outcome=Outcome.objects.get(request=request),
        organization_id=event.data["organization"],
        confirmed_by=actor,
        confirmed_at=_when(event),
    )
    if event.data.get("minutes_confirmed"):
        # Every party has confirmed: their turn is over though the state stays.
        flows.stop_clock(request, flows.OUTCOME_DOCUMENTED, _when(event))


def _after_reopen(request: DialogueRequest, actor: Any, event: AuditEvent) -> None:
    """Minutes already confirmed need no second round of confirmation: stop that clock again."""
    if request.state == flows.OUTCOME_DOCUMENTED and request.minutes_confirmed_at is not None:
        flows.stop_clock(request, flows.OUTCOME_DOCUMENTED, _when(event))


_AFTER = {
    "request_info": _after_request_info,
    "provide_info": _after_provide_info,
    "accept": _after_accept,
    "schedule_meeting": _after_schedule,
    "reschedule_meeting": _after_reschedule,
    "cancel_meeting": _after_cancel,
    "record_meeting": _after_record,
    "document_outcome": _after_document_outcome,
    "confirm_minutes": _after_confirm_minutes,
    "reopen": _after_reopen,
}


# --- one service per transition, for callers that prefer names to strings ----------------------


def request_submit(*, request: DialogueRequest, actor: Any, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="submit", actor=actor, **options)


def request_info_request(*, request: DialogueRequest, actor: Any, message: str, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="request_info", actor=actor, data={"message": message}, **options)


def request_info_provide(*, request: DialogueRequest, actor: Any, message: str, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="provide_info", actor=actor, data={"message": message}, **options)


def request_accept(*, request: DialogueRequest, actor: Any, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="accept", actor=actor, **options)


def request_decline(
    *, request: DialogueRequest, actor: Any, reason: str, article: str, **options: Any
) -> DialogueRequest:
    data = {"reason": reason, "article": article}
    return request_transition(request=request, name="decline", actor=actor, data=data, **options)


def request_withdraw(*, request: DialogueRequest, actor: Any, reason: str, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="withdraw", actor=actor, data={"reason": reason}, **options)


def request_appeal(*, request: DialogueRequest, actor: Any, reason: str, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="appeal", actor=actor, data={"reason": reason}, **options)


def request_decide(
    *, request: DialogueRequest, actor: Any, decision: str, reason: str, **options: Any
) -> DialogueRequest:
    data = {"decision": decision, "reason": reason}
    return request_transition(request=request, name="decide", actor=actor, data=data, **options)


def meeting_schedule(
    *, request: DialogueRequest, actor: Any, data: Mapping[str, Any], **options: Any
) -> DialogueRequest:
    return request_transition(request=request, name="schedule_meeting", actor=actor, data=data, **options)


def meeting_reschedule(
    *, request: DialogueRequest, actor: Any, data: Mapping[str, Any], **options: Any
) -> DialogueRequest:
    return request_transition(request=request, name="reschedule_meeting", actor=actor, data=data, **options)


def meeting_cancel(*, request: DialogueRequest, actor: Any, reason: str, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="cancel_meeting", actor=actor, data={"reason": reason}, **options)


def meeting_record(
    *, request: DialogueRequest, actor: Any, attended_organizations: list[int], **options: Any
) -> DialogueRequest:
    data = {"attended_organizations": list(attended_organizations)}
    return request_transition(request=request, name="record_meeting", actor=actor, data=data, **options)


def outcome_document(
    *, request: DialogueRequest, actor: Any, data: Mapping[str, Any], **options: Any
) -> DialogueRequest:
    return request_transition(request=request, name="document_outcome", actor=actor, data=data, **options)


def minutes_confirm(
    *, request: DialogueRequest, actor: Any, organization: int | None = None, **options: Any
) -> DialogueRequest:
    data = {"organization": organization} if organization else {}
    return request_transition(request=request, name="confirm_minutes", actor=actor, data=data, **options)


def request_follow_up_start(*, request: DialogueRequest, actor: Any, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="start_follow_up", actor=actor, **options)


def request_close(*, request: DialogueRequest, actor: Any, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="close", actor=actor, **options)


def request_reopen(
    *, request: DialogueRequest, actor: Any, reason: str, target: str = "", **options: Any
) -> DialogueRequest:
    data = {"reason": reason, "target_state": target}
    return request_transition(request=request, name="reopen", actor=actor, data=data, **options)
