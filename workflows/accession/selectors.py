"""Reads about membership applications."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from partners.models import Organization
from partners.selectors import user_access

from .models import PENDING_STATES, Application, MemberFile

PENDING = PENDING_STATES


def is_oversight(user: Any) -> bool:
    return bool(user_access(user).roles & {"secretariat", "secretariat_lead", "auditor"})


def visible_applications(user: Any) -> QuerySet[Application]:
    """The applications ``user`` may see: their own; every one for the secretariat and auditors."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    if is_oversight(user):
        return Application.objects.all()
    return Application.objects.filter(applicant=user)


def same_name(name: str, name_ar: str) -> Q:
    condition = Q(name__iexact=name.strip())
    if name_ar.strip():
        condition |= Q(name_ar=name_ar.strip())
    return condition


def pending_with_name(name: str, name_ar: str, *, exclude_pk: int | None = None) -> QuerySet[Application]:
    """Applications still under way (not decided, not withdrawn) for an organization of this name."""
    found = Application.objects.filter(same_name(name, name_ar), state__in=PENDING)
    return found.exclude(pk=exclude_pk) if exclude_pk else found


def member_with_name(name: str, name_ar: str) -> QuerySet[Organization]:
    """Members of this name, suspended ones included (a suspended member cannot join again under its name)."""
    members = Q(active=True) | Q(member_file__state="suspended")
    return Organization.objects.filter(same_name(name, name_ar)).filter(members)


def visible_member_files(user: Any) -> QuerySet[MemberFile]:
    """The member files ``user`` may see: their organizations'; every one for the secretariat and auditors."""
    if user is None or not getattr(user, "is_authenticated", False):
        return MemberFile.objects.none()
    if is_oversight(user):
        return MemberFile.objects.all()
    own = Q(organization__memberships__user=user, organization__memberships__active=True) | Q(successor=user)
    return MemberFile.objects.filter(own).distinct()


def organization_for_member_file(user: Any, organization_id: int) -> Organization:
    """The organization whose member file ``user`` may open: the secretariat any, a coordinator their own.

    Anyone else gets ``Http404`` (an organization's existence is not a secret, but its file is).
    """
    from django.http import Http404

    from partners.models import Membership

    organizations = Organization.objects.exclude(kind=Organization.Kind.SECRETARIAT)
    if not user_access(user).roles & {"secretariat", "secretariat_lead"}:
        coordinated = Membership.objects.filter(user_id=getattr(user, "pk", None), role="coordinator", active=True)
        organizations = organizations.filter(pk__in=coordinated.values("organization_id"))
    organization = organizations.filter(pk=organization_id).first()
    if organization is None:
        raise Http404("No such organization, or its member file is not yours to open.")
    return organization


def members_with_acceptance(version: Any) -> list[dict[str, Any]]:
    """Every organization (the secretariat's office aside) with its member file and charter acceptance."""
    from partners.models import CharterAcceptance

    accepted = set(
        CharterAcceptance.objects.filter(version=version).values_list("organization_id", flat=True) if version else []
    )
    files = {row.organization_id: row for row in MemberFile.objects.all()}
    organizations = Organization.objects.exclude(kind=Organization.Kind.SECRETARIAT).order_by("-active", "name")
    return [
        {"organization": organization, "file": files.get(organization.pk), "accepted": organization.pk in accepted}
        for organization in organizations
    ]
