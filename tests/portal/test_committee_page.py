"""The public committee page: seats, sides, terms, composition criteria and the configured rule, without signing in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partners.models import CommitteeSeat, Theme
from tests.factories import UserFactory, committee_member, ensure_seed_data
from workflows.partnership.models import CommitteeRule

from .conftest import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def committee():
    ensure_seed_data()
    chair = committee_member("public", "chair", chair=True)
    deputy = committee_member("public", "deputy")
    civil = committee_member("civil", "civil-member")
    chair.first_name, chair.last_name = "Rima", "Haddad"
    chair.save()
    ended = timezone.localdate() - dt.timedelta(days=1)
    CommitteeSeat.objects.filter(user=deputy).update(is_deputy_chair=True, term_end=ended)
    seat = CommitteeSeat.objects.get(user=civil)
    seat.alternate = UserFactory(username="civil-alternate")
    seat.sectors, seat.sectors_ar = "Child protection", "حماية الطفل"
    seat.specialization, seat.specialization_ar = "Juvenile law", "قانون الأحداث"
    seat.save()
    seat.themes.add(Theme.objects.get(code="juvenile-justice"))
    CommitteeRule.objects.create(
        name="charter 2026",
        empty_side_rule="count_side_satisfied",
        empty_side_article="5",
        composition_criteria="Three seats per side, renewed every two years.",
        composition_criteria_ar="ثلاثة مقاعد لكل جهة، تتجدد كل سنتين.",
    )
    return {"chair": chair, "deputy": deputy, "civil": civil, "seat": seat}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_anyone_reads_the_committee_and_its_rule(client, committee, language):
    answer = client.get(url("portal:committee", language))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f'id="seat-{committee["seat"].pk}"' in page and "Rima Haddad" in page
    assert committee["seat"].alternate.get_full_name() in page
    assert 'id="side-public"' in page and 'id="side-civil"' in page
    if language == "en":
        assert "Coordination committee" in page and "Public sector" in page and "Civil society" in page
        assert "Three seats per side" in page and "Juvenile law" in page and "Child protection" in page
        assert "counts that side as satisfied" in page and "Deputy chair" in page and "outside term: no vote" in page
    else:
        assert "ثلاثة مقاعد لكل جهة" in page and "قانون الأحداث" in page and "حماية الطفل" in page
        assert "counts that side" not in page and "Coordination committee" not in page
    # linked from the navigation
    assert url("portal:committee", language) in client.get(url("portal:charter", language)).content.decode()


def test_the_page_states_the_rule_in_force_not_a_fixed_one(client, committee):
    CommitteeRule.objects.update(active=False)
    CommitteeRule.objects.create(name="referral", empty_side_rule="refer_to_platform", empty_side_article="6")
    page = client.get(url("portal:committee", "en")).content.decode()
    assert "refers the request to the full platform" in page and "counts that side" not in page
    assert "charter article 6" in page
