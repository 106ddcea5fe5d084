"""Two reviewers, and two progress reports, at the same moment: one verdict, no lost note, a verified history."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model

import engine
from engine.audit import verify_all
from engine.models import AuditEvent
from tests.concurrency import race
from tests.factories import UserFactory
from workflows.outcomes import selectors
from workflows.outcomes.models import HarvestedOutcome, ProgressNote, Recommendation

from .conftest import harvest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_reviewers_at_once_give_one_verdict(partnership_world, dialogue, substantiator):
    w = partnership_world
    other = UserFactory(username="reviewer-2")
    other.groups.add(selectors.substantiators_group())
    outcome = harvest(w, dialogue)
    engine.run(outcome, "submit", actor=w.cso_coordinator)
    reviewers = [substantiator, other]
    verdicts = [{"verdict": "confirmed"}, {"verdict": "disputed", "note": "No evidence."}]

    def review(index: int) -> str:
        user = get_user_model().objects.get(pk=reviewers[index].pk)
        engine.run(HarvestedOutcome.objects.get(pk=outcome.pk), "substantiate", actor=user, data=verdicts[index])
        return "reviewed"

    outcomes = race(review, 2)
    kinds = Counter(type(o).__name__ if isinstance(o, Exception) else o for o in outcomes)
    assert kinds["reviewed"] == 1, outcomes
    assert (
        AuditEvent.objects.filter(case_id=outcome.pk, case_type=outcome.case_type(), action="substantiate").count() == 1
    )
    assert verify_all().ok


def test_progress_reported_at_once_keeps_every_note(partnership_world, dialogue):
    w = partnership_world
    item = Recommendation.objects.filter(request=dialogue).order_by("position").first()

    def report(index: int) -> str:
        user = get_user_model().objects.get(pk=w.secretariat.pk)
        data = {"status": "in_progress", "progress": 10 * (index + 1), "note": f"Report {index}"}
        engine.run(Recommendation.objects.get(pk=item.pk), "progress_reported", actor=user, data=data)
        return "reported"

    outcomes = race(report, 3)
    reported = sum(1 for o in outcomes if o == "reported")
    notes = list(ProgressNote.objects.filter(recommendation=item).order_by("id"))
    assert len(notes) == reported >= 1
    item.refresh_from_db()
    assert item.progress == notes[-1].progress_to  # the row holds the last note's figure
    assert [n.progress_from for n in notes[1:]] == [n.progress_to for n in notes[:-1]]  # a chain, nothing lost
    assert verify_all().ok
