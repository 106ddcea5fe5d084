"""Reads about membership applications."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from partners.models import Organization
from partners.selectors import user_access

from .models import PENDING_STATES, Application

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
    return Organization.objects.filter(same_name(name, name_ar), active=True)
