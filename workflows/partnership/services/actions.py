"""Follow-up action items: created by the secretariat, carried out and reported on by their owners."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext
from engine.errors import InvalidInput
from partners.models import Organization
from partners.selectors import is_secretariat

from ..models import ActionItem, ActionUpdate, DialogueRequest
from .attachments import attachment_validate


def _organization(value: Organization | int | str | None) -> Organization | None:
    if value is None or isinstance(value, Organization):
        return value
    try:
        return Organization.objects.filter(pk=int(value), active=True).first()
    except (TypeError, ValueError):
        return None


def _date(value: datetime.date | str | None) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return parse_date(str(value))
    except ValueError:
        return None


def _user(value: Any) -> Any:
    if value is None or hasattr(value, "pk"):
        return value
    try:
        return get_user_model().objects.filter(pk=int(value), is_active=True).first()
    except (TypeError, ValueError):
        return None


@transaction.atomic
def action_item_create(
    *,
    request: DialogueRequest,
    actor: Any,
    description: str,
    owner_organization: Organization | int | str | None,
    due_date: datetime.date | str | None,
    owner_person: Any = None,
    context: RequestContext | None = None,
    at: datetime.datetime | None = None,
) -> ActionItem:
    """The secretariat records a follow-up commitment with its owner and due date.

    ``at``: the time it is recorded as of (a past moment for a history being rebuilt, as the SLA
    scan's ``--at``): the due date may not be before that day, and the event carries that time.
    """
    locked = engine.lock(request)
    engine.authorize(locked, actor, "action_item_created", at=at)
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    organization = _organization(owner_organization)
    due = _date(due_date)
    person = _user(owner_person)
    if not description:
        errors["description"] = [str(_("Describe the action."))]
    if organization is None:
        errors["owner_organization"] = [str(_("Choose the organization that owns the action."))]
    if due is None:
        errors["due_date"] = [str(_("Enter a valid due date (YYYY-MM-DD)."))]
    if owner_person is not None and person is None:
        errors["owner_person"] = [str(_("Unknown person."))]
    if errors:
        raise InvalidInput(errors)
    # The owner must be a party to the request and the due date not past (the flow's rules),
    # checked once the fields are valid.
    owners = {"owner_organization": organization, "owner_person": person, "due_date": due}
    engine.authorize(locked, actor, "action_item_created", owners, at=at)
    now = at or timezone.now()
    item = ActionItem.objects.create(
        request=locked,
        description=description,
        owner_organization=organization,
        owner_person=person,
        due_date=due,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    engine.record(
        locked,
        "action_item_created",
        actor=actor,
        actor_role="secretariat",
        data={
            "action": item.pk,
            "description": description,
            "owner_organization": organization.pk,
            "owner_person": person.pk if person else None,
            "due_date": due,
        },
        context=context,
        occurred_at=at,
    )
    return item


def _apply_status(item: ActionItem, status: str, justification: str | None) -> dict[str, Any]:
    if status not in ActionItem.Status.values:
        raise InvalidInput({"status": [str(_("Choose open, in progress, done or dropped."))]})
    if justification is not None:
        item.justification = justification.strip()
    if status == ActionItem.Status.DROPPED and not item.justification.strip():
        raise InvalidInput({"justification": [str(_("Say why the action is dropped."))]})
    old = item.status
    item.status = status
    item.completed_at = timezone.now() if status == ActionItem.Status.DONE else None
    return {"from": old, "to": status, "justification": item.justification}


@transaction.atomic
def action_item_update(
    *,
    item: ActionItem,
    actor: Any,
    status: str | None = None,
    justification: str | None = None,
    description: str | None = None,
    due_date: datetime.date | str | None = None,
    owner_organization: Organization | int | str | None = None,
    owner_person: Any = None,
    context: RequestContext | None = None,
) -> ActionItem:
    """Change an action item: owners report its status, the secretariat may change anything."""
    request = engine.lock(item.request)
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    changes: dict[str, list[Any]] = {}
    errors: dict[str, list[str]] = {}
    edits = {"description": description, "due_date": due_date, "owner_organization": owner_organization}
    if owner_person is not None:
        edits["owner_person"] = owner_person
    engine.authorize(
        request, actor, "action_item_updated", {"item": item, "edits": [k for k, v in edits.items() if v is not None]}
    )
    secretariat = is_secretariat(actor)
    if description is not None:
        if not description.strip():
            errors["description"] = [str(_("Describe the action."))]
        elif description.strip() != item.description:
            changes["description"] = [item.description, description.strip()]
            item.description = description.strip()
    if due_date is not None:
        due = _date(due_date)
        if due is None:
            errors["due_date"] = [str(_("Enter a valid due date (YYYY-MM-DD)."))]
        elif due != item.due_date:
            # A new due date may not be in the past (the flow's rule; an unchanged one may be).
            engine.authorize(request, actor, "action_item_updated", {"item": item, "due_date": due})
            changes["due_date"] = [item.due_date.isoformat(), due.isoformat()]
            item.due_date = due
    if owner_organization is not None:
        organization = _organization(owner_organization)
        if organization is None:
            errors["owner_organization"] = [str(_("Choose the organization that owns the action."))]
        elif organization.pk != item.owner_organization_id:
            changes["owner_organization"] = [item.owner_organization_id, organization.pk]
            item.owner_organization = organization
    if owner_person is not None:
        person = _user(owner_person)
        if person is None:
            errors["owner_person"] = [str(_("Unknown person."))]
        elif person.pk != item.owner_person_id:
            changes["owner_person"] = [item.owner_person_id, person.pk]
            item.owner_person = person
    if errors:
        raise InvalidInput(errors)
    if {"owner_organization", "owner_person"} & set(changes):
        owners = {"owner_organization": item.owner_organization, "owner_person": item.owner_person}
        engine.authorize(request, actor, "action_item_updated", {"item": item, **owners})
    status_change = None
    if status is not None and (status != item.status or justification is not None):
        status_change = _apply_status(item, status, justification)
    elif justification is not None and justification.strip() != item.justification:
        changes["justification"] = [item.justification, justification.strip()]
        item.justification = justification.strip()
    if not changes and status_change is None:
        return item
    item.updated_at = timezone.now()
    item.save()
    role = "secretariat" if secretariat else "action_owner"
    if changes:
        engine.record(
            request,
            "action_item_updated",
            actor=actor,
            actor_role=role,
            data={"action": item.pk, "changes": changes},
            context=context,
        )
    if status_change is not None:
        engine.record(
            request,
            "action_status_changed",
            actor=actor,
            actor_role=role,
            data={"action": item.pk, **status_change},
            context=context,
        )
    return item


@transaction.atomic
def action_update_add(
    *,
    item: ActionItem,
    actor: Any,
    text: str,
    evidence_url: str = "",
    evidence_file: Any = None,
    status: str | None = None,
    justification: str | None = None,
    context: RequestContext | None = None,
) -> ActionUpdate:
    """An owner (or the secretariat) reports progress, with evidence and possibly a new status."""
    request = engine.lock(item.request)
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    engine.authorize(request, actor, "action_update_added", {"item": item})
    secretariat = is_secretariat(actor)
    text = (text or "").strip()
    evidence_url = (evidence_url or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [str(_("Describe the progress."))]
    if evidence_url:
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except ValidationError:
            errors["evidence_url"] = [str(_("Enter a valid link (http or https)."))]
    if errors:
        raise InvalidInput(errors)
    file_name = ""
    if evidence_file is not None:
        file_name = attachment_validate(evidence_file)[0]
    status_change = None
    if status is not None and status != item.status:
        status_change = _apply_status(item, status, justification)
        item.updated_at = timezone.now()
        item.save()
    update = ActionUpdate(
        action=item,
        text=text,
        evidence_url=evidence_url,
        status_from=status_change["from"] if status_change else "",
        status_to=status_change["to"] if status_change else "",
        by=actor,
        at=timezone.now(),
    )
    if evidence_file is not None:
        update.evidence_file.save(file_name, evidence_file, save=False)
    update.save()
    role = "secretariat" if secretariat else "action_owner"
    engine.record(
        request,
        "action_update_added",
        actor=actor,
        actor_role=role,
        data={"action": item.pk, "update": update.pk, "text": text, "evidence_url": evidence_url, "file": file_name},
        context=context,
    )
    if status_change is not None:
        engine.record(
            request,
            "action_status_changed",
            actor=actor,
            actor_role=role,
            data={"action": item.pk, **status_change},
            context=context,
        )
    return update
