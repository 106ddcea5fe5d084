"""Who may read what over the API: object-level visibility of dialogue requests.

Reads only (no writes, no business decisions): the services decide who may change what. These are
the API's stand-in for a partnership visibility selector; when ``workflows.partnership.selectors``
provides one, this module should delegate to it.

- secretariat, its lead and auditors see every request;
- members of the requesting organization see its requests, drafts included;
- coordinators and members of a counterpart organization see a request once it was accepted;
- committee members see every request once it was submitted (conflicts are declared from then on);
- anyone signed in sees a request whose outcome was published;
- a restricted outcome is read only by the parties, the secretariat, the committee and auditors.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from partners.selectors import user_access

from .. import committee
from ..models import DialogueRequest

READ_ALL_ROLES = {"secretariat", "secretariat_lead", "auditor"}


def is_auditor(user: Any) -> bool:
    return "auditor" in user_access(user).roles


def reads_everything(user: Any) -> bool:
    return bool(user_access(user).roles & READ_ALL_ROLES)


def visible_requests(user: Any, queryset: QuerySet[DialogueRequest] | None = None) -> QuerySet[DialogueRequest]:
    """The requests ``user`` may see (one query when evaluated; the user's access is cached)."""
    queryset = DialogueRequest.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated:
        return queryset.none()
    access = user_access(user)
    if access.roles & READ_ALL_ROLES:
        return queryset
    organizations = sorted(access.organization_ids)
    through = DialogueRequest.counterpart_organizations.through
    visible = Q(published=True)
    if organizations:
        counterpart_of = through.objects.filter(organization_id__in=organizations).values("dialoguerequest_id")
        visible |= Q(requesting_organization_id__in=organizations)
        visible |= Q(pk__in=counterpart_of, accepted_at__isnull=False)
    if access.seat is not None:
        visible |= Q(submitted_at__isnull=False)
    return queryset.filter(visible)


def is_party(user: Any, request: DialogueRequest) -> bool:
    return bool(user_access(user).organization_ids & committee.party_organization_ids(request))


def may_read_restricted(user: Any, request: DialogueRequest) -> bool:
    """Parties, secretariat, committee and auditors read a restricted outcome."""
    access = user_access(user)
    return bool(access.roles & READ_ALL_ROLES) or access.seat is not None or is_party(user, request)


def may_read_votes(user: Any) -> bool:
    """Individual votes are for the committee, the secretariat and auditors."""
    access = user_access(user)
    return bool(access.roles & READ_ALL_ROLES) or access.seat is not None


def actor_role(user: Any, request: DialogueRequest) -> str:
    """The capacity in which ``user`` reads ``request`` (for the audit trail of restricted reads)."""
    access = user_access(user)
    for role in ("auditor", "secretariat_lead", "secretariat"):
        if role in access.roles:
            return role
    if is_party(user, request):
        return "party"
    if access.seat is not None:
        return "committee_member"
    return ""
