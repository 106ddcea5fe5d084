"""The charter over HTTP: anyone reads the version in force; a coordinator accepts it, only that one."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partners.models import CharterAcceptance, CharterArticle, CharterVersion
from tests.factories import OrganizationFactory, coordinator_of, ensure_seed_data, member_organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    ensure_seed_data()


def publish_v2() -> CharterVersion:
    CharterVersion.objects.filter(is_current=True).update(is_current=False)
    version = CharterVersion.objects.create(
        number=2, title="Partnership Charter", title_ar="ميثاق الشراكة", published_at=timezone.now(), is_current=True
    )
    CharterArticle.objects.create(
        version=version,
        number="6",
        title="Participation",
        title_ar="المشاركة",
        text="Members accept the charter.",
        text_ar="يقبل الأعضاء الميثاق.",
    )
    return version


def test_anyone_reads_the_current_charter_in_both_languages(seeded, client_for):
    answer = client_for(None).get("/api/v1/charter/")
    assert answer.status_code == 200
    body = answer.json()
    current = CharterVersion.objects.get(is_current=True)
    assert body["version"] == current.number
    assert "published_at" in body
    numbers = [article["number"] for article in body["articles"]]
    assert numbers == list(current.articles.order_by("id").values_list("number", flat=True))
    assert "6" in numbers
    first = body["articles"][0]
    assert set(first) == {"number", "title", "title_ar", "text", "text_ar"}
    assert first["title_ar"] and first["text_ar"] and first["text"]


def test_a_coordinator_accepts_the_current_version(seeded, client_for):
    organization = OrganizationFactory()
    coordinator = coordinator_of(organization, "coord")
    version = CharterVersion.objects.get(is_current=True).number
    answer = client_for(coordinator).post(
        f"/api/v1/organizations/{organization.pk}/charter-acceptance/", {"charter_version": version}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["charter_version"] == version
    assert answer.json()["accepted_by"] == "coord"
    assert CharterAcceptance.objects.filter(organization=organization, version__number=version).count() == 1


def test_an_old_or_unknown_version_is_refused_in_arabic_and_changes_nothing(seeded, client_for):
    organization, coordinator = member_organization(coordinator="coord")
    old = CharterVersion.objects.get(is_current=True).number
    publish_v2()
    before = CharterAcceptance.objects.count()
    client = client_for(coordinator, language="ar")
    url = f"/api/v1/organizations/{organization.pk}/charter-acceptance/"
    for given in (old, 99):
        answer = client.post(url, {"charter_version": given}, format="json")
        assert answer.status_code == 400, answer.content
        assert answer.json()["code"] == "invalid"
        message = answer.json()["errors"]["charter_version"][0]
        assert "الميثاق" in message, message
    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(url, {"charter_version": "2"}, format="json").status_code == 400
    assert CharterAcceptance.objects.count() == before


def test_only_a_coordinator_of_that_organization_may_accept(seeded, client_for):
    organization = OrganizationFactory()
    other, other_coordinator = member_organization(coordinator="other")
    version = CharterVersion.objects.get(is_current=True).number
    url = f"/api/v1/organizations/{organization.pk}/charter-acceptance/"
    assert client_for(other_coordinator).post(url, {"charter_version": version}, format="json").status_code == 403
    assert client_for(None).post(url, {"charter_version": version}, format="json").status_code in (401, 403)
    assert (
        client_for(other_coordinator)
        .post("/api/v1/organizations/999999/charter-acceptance/", {"charter_version": version}, format="json")
        .status_code
        == 404
    )
    assert not CharterAcceptance.objects.filter(organization=organization).exists()
