"""The charter re-acceptance reminder: coordinators of members that have not accepted the version in force.

Run by the periodic job ``accession-charter-reminders`` (beat schedule and ``manage.py run_periodic``).
One reminder per organization, charter version and week: a scan every hour, or two at once, sends each
once (the outbox row's key says which), and the reminders stop when the organization accepts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.utils import timezone

from engine.outbox import OutboxEvent
from notify.reminders import emit_once
from partners.models import CharterAcceptance, CharterVersion, Membership, Organization

from . import services
from .models import MemberFile

EVENT = "charter_reminder"


def members_not_accepted(version: CharterVersion) -> list[Organization]:
    """Active members (the secretariat's office aside) with no acceptance of ``version``."""
    accepted = CharterAcceptance.objects.filter(version=version).values("organization_id")
    return list(
        Organization.objects.filter(active=True)
        .exclude(kind=Organization.Kind.SECRETARIAT)
        .exclude(pk__in=accepted)
        .order_by("pk")
    )


def scan(now: datetime | None = None) -> int:
    """Emit the reminders due as of ``now``; returns how many new ones went out."""
    version = CharterVersion.objects.filter(is_current=True).first()
    if version is None:
        return 0
    organizations = members_not_accepted(version)
    if not organizations:
        return 0
    week = timezone.localtime(now or timezone.now()).strftime("%G-W%V")
    coordinators: dict[int, list[int]] = defaultdict(list)
    for organization_id, user_id in Membership.objects.filter(
        organization__in=organizations, role=Membership.Role.COORDINATOR, active=True, user__is_active=True
    ).values_list("organization_id", "user_id"):
        coordinators[organization_id].append(user_id)
    files = {row.organization_id: row for row in MemberFile.objects.filter(organization__in=organizations)}
    events: list[Any] = []
    for organization in organizations:
        if not coordinators[organization.pk]:
            continue
        member_file = files.get(organization.pk) or services.member_file_for(organization=organization, actor=None)
        events.append(
            OutboxEvent(
                event=EVENT,
                case_type=member_file.case_type(),
                case_id=member_file.pk,
                case_reference=member_file.reference,
                case=member_file,
                key=f"reminder:charter:{organization.pk}:v{version.number}:{week}",
                payload={
                    "recipients": sorted(coordinators[organization.pk]),
                    "data": {"charter_version": version.number},
                },
            )
        )
    return emit_once(events)
