"""What notify needs to know about the partnership workflow, in one place, imported lazily.

The notification machinery is generic; this module holds the few partnership facts it uses: where
a request's meeting and its calendar file are, and which meetings and action items are due for a
reminder. Every function is a no-op where the partnership app is not installed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps

logger = logging.getLogger(__name__)

APP = "workflows.partnership"


def installed() -> bool:
    return apps.is_installed(APP)


def _models() -> Any:
    from workflows.partnership import models

    return models


def meeting_ics_for(message: Any) -> bytes | None:
    """The .ics of the session the event is about, else the request's latest (METHOD:CANCEL once cancelled)."""
    if not installed() or message.case_id is None:
        return None
    models = _models()
    if message.case_type != models.DialogueRequest.case_type():
        return None
    try:
        from workflows.partnership.services.meetings import meeting_ics
    except ImportError:
        return None
    meetings = models.Meeting.objects.filter(request_id=message.case_id).select_related("request", "organizer")
    session = ((message.payload or {}).get("data") or {}).get("session")
    if isinstance(session, int):
        # One session of a series: its own UID and SEQUENCE.
        meetings = meetings.filter(pk=session)
    meeting = meetings.order_by("-created_at", "-id").first()
    if meeting is None:
        return None
    return meeting_ics(meeting)


def _event(event: str, request: Any, key: str, recipients: list[int], data: dict[str, Any]) -> Any:
    from engine.outbox import OutboxEvent

    return OutboxEvent(
        event=event,
        case_type=request.case_type(),
        case_id=request.pk,
        case_reference=request.reference,
        case=request,
        key=key,
        payload={"recipients": recipients, "data": data},
    )


def meeting_reminders(now: datetime, window: timedelta) -> list[Any]:
    """A ``meeting_soon`` event per scheduled meeting starting within ``window``: two queries."""
    models = _models()
    meetings = list(
        models.Meeting.objects.filter(
            status=models.Meeting.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=now + window
        ).select_related("request")
    )
    if not meetings:
        return []
    invitees: dict[int, list[int]] = defaultdict(list)
    through = models.Meeting.invitees.through
    for meeting_id, user_id in through.objects.filter(meeting_id__in=[m.pk for m in meetings]).values_list(
        "meeting_id", "user_id"
    ):
        invitees[meeting_id].append(user_id)
    # The calendar sequence is part of the key: a rescheduled meeting earns a fresh reminder.
    return [
        _event(
            "meeting_soon",
            meeting.request,
            f"reminder:meeting:{meeting.uid}:{meeting.sequence}:48h",
            sorted(invitees[meeting.pk]),
            {"starts_at": meeting.starts_at, "location": meeting.location},
        )
        for meeting in meetings
    ]


def action_reminders(today: date, soon: timedelta) -> list[Any]:
    """``action_due_soon`` / ``action_overdue`` per unsettled action item: two queries."""
    from partners.models import Membership

    models = _models()
    open_statuses = [models.ActionItem.Status.OPEN, models.ActionItem.Status.IN_PROGRESS]
    items = list(
        models.ActionItem.objects.filter(status__in=open_statuses, due_date__lte=today + soon).select_related("request")
    )
    if not items:
        return []
    coordinators: dict[int, list[int]] = defaultdict(list)
    for organization_id, user_id in Membership.objects.filter(
        organization_id__in={item.owner_organization_id for item in items if not item.owner_person_id},
        role=Membership.Role.COORDINATOR,
        active=True,
        user__is_active=True,
    ).values_list("organization_id", "user_id"):
        coordinators[organization_id].append(user_id)
    events = []
    for item in items:
        overdue = item.due_date < today
        recipients = (
            [item.owner_person_id] if item.owner_person_id else sorted(coordinators[item.owner_organization_id])
        )
        events.append(
            _event(
                "action_overdue" if overdue else "action_due_soon",
                item.request,
                f"reminder:action:{item.pk}:{item.due_date.isoformat()}:{'overdue' if overdue else 'due_soon'}",
                recipients,
                {"description": item.description, "due_date": item.due_date},
            )
        )
    return events


def action_owner_ids(payload: dict[str, Any]) -> list[int]:
    """Who owns the action item an ``action_item_*`` event names: its person, else its organization's coordinators.

    For an update, only when the owner changed (the new owner is told it was assigned to them).
    """
    if not installed():
        return []
    data = payload.get("data") or {}
    changes = data.get("changes")
    if changes is not None and not {"owner_organization", "owner_person"} & set(changes):
        return []
    from partners.models import Membership

    item = (
        _models()
        .ActionItem.objects.filter(pk=data.get("action"))
        .values("owner_person_id", "owner_organization_id")
        .first()
    )
    if item is None:
        return []
    if item["owner_person_id"]:
        return [item["owner_person_id"]]
    return list(
        Membership.objects.filter(
            organization_id=item["owner_organization_id"],
            role=Membership.Role.COORDINATOR,
            active=True,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )
