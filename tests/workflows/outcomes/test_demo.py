"""manage.py demo also builds the outcome register: an independent reviewer, outcomes in every state, progress."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from engine.models import AuditEvent
from tests.factories import ensure_seed_data
from workflows.outcomes import selectors
from workflows.outcomes.models import HarvestedOutcome, ProgressNote, Recommendation

PASSWORD = "demo-test-pass-3"


@pytest.mark.django_db
def test_the_demo_shows_the_register_with_outcomes_in_every_state():
    ensure_seed_data()
    out = StringIO()
    call_command("demo", "--password", PASSWORD, stdout=out)
    states = set(HarvestedOutcome.objects.values_list("state", flat=True))
    assert states == {"draft", "submitted", "substantiated", "disputed", "published", "withdrawn"}
    assert HarvestedOutcome.objects.filter(state="published", visibility="restricted").exists()
    assert "reviewer" in out.getvalue()
    assert Recommendation.objects.exists() and ProgressNote.objects.count() >= 3
    assert selectors.public_recommendations().filter(progress__gt=0).exists()
    before = (HarvestedOutcome.objects.count(), AuditEvent.objects.count())
    call_command("demo", "--password", PASSWORD, stdout=StringIO())
    assert (HarvestedOutcome.objects.count(), AuditEvent.objects.count()) == before
