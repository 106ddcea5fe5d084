"""factory_boy factories for people, organizations, the committee and the charter (shared by every suite)."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from partners.models import (
    CharterAcceptance,
    CharterVersion,
    CommitteeSeat,
    Membership,
    Organization,
    PlatformRole,
    Theme,
)

PASSWORD = "pw-123456"
_hashes: dict[str, str] = {}


def _password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    if PASSWORD not in _hashes:
        _hashes[PASSWORD] = make_password(PASSWORD)
    return _hashes[PASSWORD]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    # Hashed once per process: hashing per user would dominate the suite's run time.
    password = factory.LazyFunction(lambda: _password_hash())


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.LazyAttribute(lambda theme: theme.code.replace("-", " ").capitalize())
    name_ar = "موضوع"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    side = Organization.Side.CIVIL
    kind = Organization.Kind.CSO
    name = factory.Sequence(lambda n: f"Organization {n}")
    name_ar = factory.Sequence(lambda n: f"الجهة {n}")
    acronym = factory.Sequence(lambda n: f"ORG{n}")
    email = factory.LazyAttribute(lambda org: f"{org.acronym.lower()}@example.org")
    active = True

    class Params:
        ministry = factory.Trait(side=Organization.Side.PUBLIC, kind=Organization.Kind.MINISTRY)
        agency = factory.Trait(side=Organization.Side.PUBLIC, kind=Organization.Kind.AGENCY)
        cso = factory.Trait(side=Organization.Side.CIVIL, kind=Organization.Kind.CSO)
        secretariat = factory.Trait(side=Organization.Side.PUBLIC, kind=Organization.Kind.SECRETARIAT)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.COORDINATOR


class PlatformRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlatformRole

    user = factory.SubFactory(UserFactory)
    role = PlatformRole.Role.SECRETARIAT


class CommitteeSeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeSeat

    user = factory.SubFactory(UserFactory)
    side = CommitteeSeat.Side.PUBLIC
    is_chair = False
    active = True


class CharterAcceptanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CharterAcceptance

    organization = factory.SubFactory(OrganizationFactory)
    version = factory.LazyFunction(lambda: CharterVersion.objects.get(is_current=True))
    accepted_by = factory.SubFactory(UserFactory)
    accepted_at = factory.LazyFunction(timezone.now)


# --- helpers ----------------------------------------------------------------------------------


def ensure_seed_data() -> None:
    """Put back the rows the data migrations seed (themes, charter v1, SLA policies, committee rule).

    Transactional tests empty every table when they finish; tests that run after one call this
    so they do not depend on which tests ran before them.
    """
    from importlib import import_module

    from django.apps import apps

    from engine.models import SlaPolicy
    from workflows.partnership.models import CommitteeRule

    if not CharterVersion.objects.exists() or not Theme.objects.exists():
        import_module("partners.migrations.0002_themes_and_default_charter").seed(apps, None)
    if not SlaPolicy.objects.filter(flow="partnership.dialoguerequest").exists() or not CommitteeRule.objects.exists():
        import_module("workflows.partnership.migrations.0002_sla_policies_and_committee_rule").seed(apps, None)


def coordinator_of(organization: Organization, username: str | None = None, **user_fields: Any) -> Any:
    """A user who coordinates ``organization``."""
    user = UserFactory(username=username, **user_fields) if username else UserFactory(**user_fields)
    MembershipFactory(user=user, organization=organization, role=Membership.Role.COORDINATOR)
    return user


def member_organization(*, accept_charter: bool = True, coordinator: str | None = None, **fields: Any) -> Any:
    """An organization with a coordinator (returned as ``(organization, coordinator)``), charter accepted."""
    organization = OrganizationFactory(**fields)
    user = coordinator_of(organization, coordinator)
    if accept_charter:
        CharterAcceptanceFactory(organization=organization, accepted_by=user)
    return organization, user


def platform_user(role: str, username: str | None = None) -> Any:
    user = UserFactory(username=username) if username else UserFactory()
    PlatformRoleFactory(user=user, role=role)
    return user


def committee_member(side: str, username: str | None = None, *, chair: bool = False, organization: Any = None) -> Any:
    user = UserFactory(username=username) if username else UserFactory()
    CommitteeSeatFactory(user=user, side=side, is_chair=chair, organization=organization)
    return user


def make_committee(*, public: int = 2, civil: int = 2, chair_side: str = "public", prefix: str = "committee") -> dict:
    """A chair plus ``public`` and ``civil`` seats: {"chair": user, "public": [...], "civil": [...]}."""
    return {
        "chair": committee_member(chair_side, f"{prefix}-chair", chair=True),
        "public": [committee_member("public", f"{prefix}-gov-{i + 1}") for i in range(public)],
        "civil": [committee_member("civil", f"{prefix}-cso-{i + 1}") for i in range(civil)],
    }


def business_day(moment: Any) -> Any:
    """``moment`` moved, at the same local time, to the first business day on or after its date.

    Meetings scheduled at "now + N days" would fall on a weekend or holiday on some days of the year
    and be refused; tests schedule on ``business_day(now + N days)`` so they pass whatever the date.
    """
    import datetime as dt

    from engine import calendar

    local = timezone.localtime(moment, calendar.local_zone())
    day = local.date()
    if calendar.is_business_day(day):
        return moment
    day = calendar.next_business_day(day)
    return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=local.tzinfo)
