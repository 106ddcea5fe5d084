"""Two people applying at the same instant for one organization: the database keeps exactly one application."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from engine.models import AuditEvent
from tests.concurrency import race
from tests.factories import UserFactory, ensure_seed_data
from workflows.accession.models import Application

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APPLICATION = {
    "name": "Association for Inclusive Education",
    "name_ar": "جمعية التعليم الدامج",
    "side": "civil",
    "kind": "cso",
    "registration_number": "1234/AD",
}


def signed_in(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="ar")
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("second_name", ["association for inclusive education ", "Another spelling"])
def test_two_simultaneous_applications_for_one_name_only_one_is_created(second_name):
    ensure_seed_data()
    people = [UserFactory(username="first"), UserFactory(username="second")]
    bodies = [APPLICATION, {**APPLICATION, "name": second_name}]  # same English name, or only the same Arabic one

    outcomes = race(lambda i: signed_in(people[i]).post("/api/v1/accessions/", bodies[i], format="json"), 2)

    codes = sorted(response.status_code for response in outcomes)
    assert codes == [201, 400], [getattr(r, "content", r) for r in outcomes]
    refused = next(response for response in outcomes if response.status_code == 400)
    assert refused.json()["errors"]["name"] == ["يوجد طلب قيد الإجراء لجهة تحمل هذا الاسم."]
    assert Application.objects.count() == 1
    assert AuditEvent.objects.filter(action="create", case_type="accession.application").count() == 1
