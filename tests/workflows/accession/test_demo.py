"""manage.py demo also builds the accession demo: ``applicant`` with no organization, two applications."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from engine.models import AuditEvent
from partners.models import CharterAcceptance, CharterVersion, Organization
from partners.selectors import user_access
from tests.factories import ensure_seed_data
from workflows.accession.models import Application

PASSWORD = "demo-test-pass-2"


@pytest.mark.django_db
def test_the_demo_has_an_applicant_without_organization_and_two_applications_in_different_states():
    ensure_seed_data()
    out = StringIO()
    call_command("demo", "--password", PASSWORD, stdout=out)
    applicant = get_user_model().objects.get(username="applicant")
    assert applicant.check_password(PASSWORD)
    assert not user_access(applicant).memberships
    states = dict(Application.objects.values_list("applicant__username", "state"))
    assert states == {"applicant": "info_requested", "applicant-agency": "submitted"}
    assert "applicant" in out.getvalue()
    # one member has not accepted the newest charter version (the dashboard and the reminders show it)
    newest = CharterVersion.objects.get(is_current=True)
    assert newest.number == 2 and "accepts it again" in newest.articles.get(number="6").text
    left_out = (
        Organization.objects.filter(active=True)
        .exclude(kind="secretariat")
        .exclude(charter_acceptances__version=newest)
    )
    assert [organization.name for organization in left_out] == ["Bridges Association for Recovery and Prevention"]
    assert CharterAcceptance.objects.filter(
        organization__memberships__user__username="cso-coordinator", version=newest
    ).exists()
    # a second run changes nothing
    before = (Application.objects.count(), AuditEvent.objects.count())
    call_command("demo", "--password", PASSWORD, stdout=StringIO())
    assert (Application.objects.count(), AuditEvent.objects.count()) == before
