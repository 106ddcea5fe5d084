"""Reads about people and organizations; answers are cached on the user object for one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from .models import (
    CharterAcceptance,
    CharterArticle,
    CharterVersion,
    CommitteeSeat,
    Membership,
    Organization,
    PlatformRole,
)

_CACHE_ATTR = "_partners_access"


@dataclass
class Access:
    """Everything the platform knows about what a user is: loaded once, then reused."""

    roles: set[str] = field(default_factory=set)
    memberships: list[Membership] = field(default_factory=list)
    seat: CommitteeSeat | None = None

    @property
    def organization_ids(self) -> set[int]:
        return {m.organization_id for m in self.memberships}

    @property
    def coordinated_ids(self) -> set[int]:
        return {m.organization_id for m in self.memberships if m.role == Membership.Role.COORDINATOR}


def user_access(user: Any) -> Access:
    """Roles, active memberships and committee seat of ``user`` (three queries, then cached)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Access()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    access = Access()
    access.roles = set(PlatformRole.objects.filter(user=user).values_list("role", flat=True))
    access.memberships = list(
        Membership.objects.filter(user=user, active=True, organization__active=True)
        .select_related("organization")
        .order_by("organization__name")
    )
    access.seat = CommitteeSeat.objects.filter(user=user, active=True).first()
    if access.seat is not None:
        access.roles.add("committee")
        if access.seat.is_chair:
            access.roles.add("chair")
    if access.memberships:
        access.roles.add("member")
    if access.coordinated_ids:
        access.roles.add("coordinator")
    setattr(user, _CACHE_ATTR, access)
    return access


def forget_user_access(user: Any) -> None:
    """Drop the cached answer (after a role, membership or seat of ``user`` changed)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def user_roles(user: Any) -> set[str]:
    """Platform roles of ``user``: secretariat, secretariat_lead, auditor, committee, chair, coordinator, member."""
    return set(user_access(user).roles)


def user_organizations(user: Any) -> list[Organization]:
    """The active organizations ``user`` acts for, by name."""
    return [m.organization for m in user_access(user).memberships]


def user_coordinated_organization_ids(user: Any) -> set[int]:
    return user_access(user).coordinated_ids


def is_secretariat(user: Any) -> bool:
    return bool(user_access(user).roles & {"secretariat", "secretariat_lead"})


def current_charter() -> CharterVersion | None:
    """The charter version in force, with its articles."""
    return (
        CharterVersion.objects.filter(is_current=True)
        .prefetch_related(Prefetch("articles", queryset=CharterArticle.objects.order_by("id")))
        .first()
    )


def charter_article_numbers(version: CharterVersion | None = None) -> list[str]:
    """Numbers of the articles of ``version`` (the current one by default)."""
    queryset = CharterArticle.objects.all()
    queryset = queryset.filter(version=version) if version else queryset.filter(version__is_current=True)
    return list(queryset.order_by("id").values_list("number", flat=True))


def has_accepted_current_charter(organization: Organization) -> bool:
    return CharterAcceptance.objects.filter(organization=organization, version__is_current=True).exists()


def organizations() -> QuerySet[Organization]:
    """Active organizations with their themes, for lists and pickers."""
    return Organization.objects.filter(active=True).prefetch_related("themes").order_by("name")


def committee_seats() -> QuerySet[CommitteeSeat]:
    return CommitteeSeat.objects.filter(active=True).select_related("user", "organization")
