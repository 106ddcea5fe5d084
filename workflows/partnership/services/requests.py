"""Creating, editing and moving dialogue requests: the one path every change takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext
from engine.errors import InvalidInput
from partners.selectors import user_access

from .. import committee
from ..forms import RequestForm
from ..models import (
    DialogueRequest,
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
    engine.authorize(locked, actor, "update")
    access = user_access(actor)
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
    """Run transition ``name``; the flow declares the rows it writes (its ``on_success``), the engine runs them."""
    engine.run(
        request,
        name,
        actor=actor,
        data=dict(data) if data is not None and not hasattr(data, "getlist") else data,
        files=files,
        idempotency_key=idempotency_key,
        expected_version=expected_version,
        context=context,
    )
    committee.forget_parties(request)
    return request


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


def meeting_cancel(
    *, request: DialogueRequest, actor: Any, reason: str, session: int | None = None, **options: Any
) -> DialogueRequest:
    """Cancel a session (the next scheduled one unless ``session`` names it)."""
    data: dict[str, Any] = {"reason": reason} if session is None else {"reason": reason, "session": session}
    return request_transition(request=request, name="cancel_meeting", actor=actor, data=data, **options)


def meeting_record(
    *,
    request: DialogueRequest,
    actor: Any,
    attended_organizations: list[int] | None = None,
    data: Mapping[str, Any] | None = None,
    **options: Any,
) -> DialogueRequest:
    """A session was held: its minutes and who attended (organizations, registered people, walk-ins)."""
    payload = dict(data or {})
    if attended_organizations is not None:
        payload["attended_organizations"] = list(attended_organizations)
    return request_transition(request=request, name="record_meeting", actor=actor, data=payload, **options)


def participant_register(
    *, request: DialogueRequest, actor: Any, data: Mapping[str, Any], **options: Any
) -> DialogueRequest:
    """Register a person for a scheduled session (refused beyond its capacity)."""
    return request_transition(request=request, name="participant_registered", actor=actor, data=data, **options)


def attendance_record(
    *, request: DialogueRequest, actor: Any, data: Mapping[str, Any], **options: Any
) -> DialogueRequest:
    """Record who attended a held session: registered people present and walk-ins."""
    return request_transition(request=request, name="attendance_recorded", actor=actor, data=data, **options)


def outcome_document(
    *, request: DialogueRequest, actor: Any, data: Mapping[str, Any], **options: Any
) -> DialogueRequest:
    return request_transition(request=request, name="document_outcome", actor=actor, data=data, **options)


def minutes_confirm(
    *, request: DialogueRequest, actor: Any, organization: int | None = None, **options: Any
) -> DialogueRequest:
    data = {"organization": organization} if organization else {}
    return request_transition(request=request, name="confirm_minutes", actor=actor, data=data, **options)


def minutes_correction_request(
    *, request: DialogueRequest, actor: Any, correction: str, organization: int | None = None, **options: Any
) -> DialogueRequest:
    """A party objects to the minutes instead of confirming them: what is wrong and the wording it proposes."""
    data: dict[str, Any] = {"correction": correction}
    if organization:
        data["organization"] = organization
    return request_transition(request=request, name="minutes_correction_requested", actor=actor, data=data, **options)


def minutes_revise(*, request: DialogueRequest, actor: Any, minutes: str, note: str, **options: Any) -> DialogueRequest:
    """The secretariat's revised minutes: every party confirms them again, on a new confirmation period."""
    data = {"minutes": minutes, "note": note}
    return request_transition(request=request, name="minutes_revised", actor=actor, data=data, **options)


def minutes_correction_reject(
    *, request: DialogueRequest, actor: Any, reason: str, correction_id: int | None = None, **options: Any
) -> DialogueRequest:
    """The secretariat refuses a correction request with its reason; the confirmation period resumes."""
    data: dict[str, Any] = {"reason": reason}
    if correction_id:
        data["correction_id"] = correction_id
    return request_transition(request=request, name="minutes_correction_rejected", actor=actor, data=data, **options)


def request_follow_up_start(*, request: DialogueRequest, actor: Any, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="start_follow_up", actor=actor, **options)


def request_close(*, request: DialogueRequest, actor: Any, **options: Any) -> DialogueRequest:
    return request_transition(request=request, name="close", actor=actor, **options)


def request_reopen(
    *, request: DialogueRequest, actor: Any, reason: str, target: str = "", **options: Any
) -> DialogueRequest:
    data = {"reason": reason, "target_state": target}
    return request_transition(request=request, name="reopen", actor=actor, data=data, **options)
