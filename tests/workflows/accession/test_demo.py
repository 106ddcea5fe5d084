"""manage.py demo also builds the accession demo: ``applicant`` with no organization, two applications."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from engine.models import AuditEvent
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
    # a second run changes nothing
    before = (Application.objects.count(), AuditEvent.objects.count())
    call_command("demo", "--password", PASSWORD, stdout=StringIO())
    assert (Application.objects.count(), AuditEvent.objects.count()) == before
