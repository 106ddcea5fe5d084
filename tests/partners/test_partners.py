"""Organizations, roles, committee seats and the charter."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from engine.errors import NotPermitted
from partners import charter
from partners.models import CharterAcceptance, CharterArticle, CharterVersion, CommitteeSeat, Theme
from partners.selectors import current_charter, has_accepted_current_charter, user_organizations, user_roles
from partners.services import charter_publish, organization_accept_charter
from tests.factories import (
    CommitteeSeatFactory,
    MembershipFactory,
    OrganizationFactory,
    committee_member,
    coordinator_of,
    make_committee,
    member_organization,
    platform_user,
)

pytestmark = pytest.mark.django_db


def test_seeded_themes_cover_the_platforms_past_dialogues():
    assert list(Theme.objects.values_list("code", flat=True)) == [
        "disability-rights",
        "juvenile-justice",
        "gender-discrimination-in-laws",
        "drug-addiction",
        "citizenship",
        "volunteering",
        "other",
    ]
    assert all(theme.name_ar for theme in Theme.objects.all())


def test_default_charter_is_current_bilingual_and_numbered_as_the_rules_cite_it():
    version = current_charter()
    assert version is not None and version.number == 1
    articles = list(version.articles.all())
    assert [a.number for a in articles] == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert all(a.title and a.title_ar and a.text and a.text_ar for a in articles)
    cited = {charter.SCOPE, charter.INDEPENDENCE, charter.PARTICIPATION, charter.ACCESS_TO_INFORMATION}
    assert cited | {charter.OUTCOMES_AND_FOLLOW_UP} <= {a.number for a in articles}
    assert "recused" in articles[4].text and "Charter" in articles[5].text


def test_user_roles_are_loaded_once_per_user_object(django_assert_num_queries):
    user = platform_user("secretariat")
    organization = OrganizationFactory(cso=True)
    MembershipFactory(user=user, organization=organization, role="member")
    CommitteeSeatFactory(user=user, side="civil", is_chair=True)
    fresh = get_user_model().objects.get(pk=user.pk)
    with django_assert_num_queries(3):
        assert user_roles(fresh) == {"secretariat", "committee", "chair", "member"}
        assert user_roles(fresh) == {"secretariat", "committee", "chair", "member"}
        assert user_organizations(fresh) == [organization]


def test_inactive_memberships_and_organizations_give_no_roles():
    organization, coordinator = member_organization(cso=True)
    organization.active = False
    organization.save()
    assert user_roles(get_user_model().objects.get(pk=coordinator.pk)) == set()


def test_only_one_active_chair():
    make_committee()
    with pytest.raises(IntegrityError), transaction.atomic():
        committee_member("civil", "second-chair", chair=True)
    # a former chair's inactive seat does not count
    CommitteeSeat.objects.filter(is_chair=True).update(active=False)
    committee_member("civil", "new-chair", chair=True)
    assert CommitteeSeat.objects.filter(is_chair=True, active=True).count() == 1


def test_a_coordinator_accepts_the_charter_for_the_organization_once():
    organization = OrganizationFactory(ministry=True)
    coordinator = coordinator_of(organization)
    assert not has_accepted_current_charter(organization)
    first = organization_accept_charter(organization=organization, actor=coordinator)
    again = organization_accept_charter(organization=organization, actor=coordinator)
    assert first == again and has_accepted_current_charter(organization)
    assert first.accepted_by == coordinator and first.version.is_current


def test_members_who_are_not_coordinators_may_not_accept_the_charter():
    organization = OrganizationFactory()
    member = MembershipFactory(organization=organization, role="member").user
    with pytest.raises(NotPermitted):
        organization_accept_charter(organization=organization, actor=member)
    assert not CharterAcceptance.objects.exists()


def test_publishing_a_new_version_asks_everyone_to_accept_again():
    organization, coordinator = member_organization(cso=True)
    lead = platform_user("secretariat_lead")
    version = CharterVersion.objects.create(number=2, title="v2", title_ar="ن2")
    CharterArticle.objects.create(version=version, number="1", title="t", title_ar="ت", text="x", text_ar="س")
    with pytest.raises(NotPermitted):
        charter_publish(version=version, actor=coordinator)
    charter_publish(version=version, actor=lead)
    assert list(CharterVersion.objects.filter(is_current=True)) == [version]
    assert version.published_at is not None
    assert not has_accepted_current_charter(organization)
    organization_accept_charter(organization=organization, actor=coordinator)
    assert has_accepted_current_charter(organization)


def test_admin_screens_open(admin_client):
    organization, _ = member_organization(cso=True)
    make_committee()
    for url in (
        "/admin/partners/organization/",
        f"/admin/partners/organization/{organization.pk}/change/",
        "/admin/partners/charterversion/",
        f"/admin/partners/charterversion/{current_charter().pk}/change/",
        "/admin/partners/committeeseat/",
        "/admin/partners/membership/",
        "/admin/partners/platformrole/",
        "/admin/partners/theme/",
        "/admin/partners/charteracceptance/",
        "/admin/partnership/dialoguerequest/",
        "/admin/partnership/committeerule/",
        "/admin/partnership/outcome/",
    ):
        assert admin_client.get(url).status_code == 200, url
