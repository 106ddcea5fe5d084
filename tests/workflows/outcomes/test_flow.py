"""The outcome register's lifecycle on the engine: harvest → submitted → substantiated → published, disputes,
independence of the substantiator, visibility, and recommendations tracked from the documented outcome."""

from __future__ import annotations

import pytest

import engine
from engine.errors import GuardFailed, InvalidInput, NotPermitted
from engine.models import AuditEvent, SlaClock
from tests.factories import MembershipFactory, UserFactory
from workflows.outcomes import selectors, services
from workflows.outcomes.models import HarvestedOutcome, ProgressNote, Recommendation

from .conftest import harvest, harvest_data

pytestmark = pytest.mark.django_db


def test_harvest_substantiate_publish(partnership_world, dialogue, substantiator):
    world = partnership_world
    outcome = harvest(world, dialogue)
    assert outcome.reference.startswith("OC-") and outcome.state == "draft"
    assert list(outcome.requests.all()) == [dialogue]
    assert not selectors.visible_outcomes(substantiator).filter(pk=outcome.pk).exists()  # drafts are the harvester's

    engine.run(outcome, "submit", actor=world.cso_coordinator)
    assert outcome.state == "submitted"
    assert SlaClock.objects.filter(case_id=outcome.pk, owner="substantiators", stopped_at__isnull=True).exists()
    assert engine.capabilities(outcome, substantiator).can("substantiate")

    engine.run(outcome, "substantiate", actor=substantiator, data={"verdict": "qualified", "note": "Only in Beirut."})
    assert outcome.state == "substantiated" and outcome.verdict == "qualified"
    assert outcome.verdict_note == "Only in Beirut."

    engine.run(outcome, "publish", actor=world.secretariat)
    assert outcome.state == "published"
    assert selectors.published_outcomes().filter(pk=outcome.pk).exists()
    assert selectors.visible_outcomes(None).filter(pk=outcome.pk).exists()
    actions = list(
        AuditEvent.objects.filter(case_id=outcome.pk, case_type=outcome.case_type()).values_list("action", flat=True)
    )
    assert actions == ["create", "submit", "substantiate", "publish"]


def test_disputed_outcome_never_published(partnership_world, dialogue, substantiator):
    world = partnership_world
    outcome = harvest(world, dialogue)
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    with pytest.raises(InvalidInput) as refused:
        engine.run(outcome, "substantiate", actor=substantiator, data={"verdict": "disputed"})
    assert "note" in refused.value.errors
    engine.run(outcome, "substantiate", actor=substantiator, data={"verdict": "disputed", "note": "No such memo."})
    assert outcome.state == "disputed"
    assert not engine.capabilities(outcome, world.secretariat).can("publish")
    assert not selectors.published_outcomes().filter(pk=outcome.pk).exists()
    assert not selectors.visible_outcomes(None).filter(pk=outcome.pk).exists()


def test_substantiator_must_be_independent(partnership_world, dialogue, substantiator):
    world = partnership_world
    outcome = harvest(world, dialogue)
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    # a reviewer who belongs to a party to the dialogue is not independent
    partisan = UserFactory(username="partisan")
    partisan.groups.add(selectors.substantiators_group())
    MembershipFactory(user=partisan, organization=world.ministry, role="member")
    capabilities = engine.capabilities(outcome, partisan)
    assert not capabilities.can("substantiate")
    assert [reason.code for reason in capabilities.reasons("substantiate")] == ["not_independent"]
    with pytest.raises(NotPermitted):
        engine.run(outcome, "substantiate", actor=partisan, data={"verdict": "confirmed"})
    # the secretariat is not a substantiator
    with pytest.raises(NotPermitted):
        engine.run(outcome, "substantiate", actor=world.secretariat, data={"verdict": "confirmed"})
    assert HarvestedOutcome.objects.get(pk=outcome.pk).state == "submitted"


def test_harvest_only_after_the_dialogue(partnership_world, dialogue):
    world = partnership_world
    from tests.workflows.partnership.conftest import draft

    early = draft(world, title="Another dialogue")
    with pytest.raises(InvalidInput) as refused:
        harvest(world, dialogue, requests=[dialogue.reference, early.reference])
    assert "requests" in refused.value.errors
    assert HarvestedOutcome.objects.count() == 0


def test_bad_input_changes_nothing(partnership_world, dialogue):
    world = partnership_world
    data = harvest_data(dialogue, changed_on="2999-01-01", evidence_links=["not a link"], change_type="rumour")
    with pytest.raises(InvalidInput) as refused:
        services.outcome_harvest(actor=world.cso_coordinator, data=data)
    assert {"changed_on", "evidence_links", "change_type"} <= set(refused.value.errors)
    with pytest.raises(InvalidInput) as refused:
        harvest(world, dialogue, visibility="restricted")
    assert "public_summary" in refused.value.errors
    assert HarvestedOutcome.objects.count() == 0


def test_restricted_outcome_shows_only_its_public_summary(partnership_world, dialogue, substantiator):
    world = partnership_world
    outcome = harvest(world, dialogue, visibility="restricted", public_summary="A ministry changed a practice.")
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=substantiator, data={"verdict": "confirmed"})
    engine.run(outcome, "publish", actor=world.secretariat)
    assert selectors.published_outcomes().filter(pk=outcome.pk).exists()  # listed publicly, by its summary
    assert not selectors.visible_outcomes(None).filter(pk=outcome.pk).exists()  # the full record is not public


def test_withdraw_and_edit(partnership_world, dialogue):
    world = partnership_world
    outcome = harvest(world, dialogue)
    services.outcome_update(outcome, actor=world.cso_coordinator, data=harvest_data(dialogue, place="Tripoli"))
    assert outcome.place == "Tripoli"
    event = AuditEvent.objects.filter(case_id=outcome.pk, case_type=outcome.case_type(), action="update").get()
    assert event.data == {"place": "Tripoli"}
    with pytest.raises(NotPermitted):
        services.outcome_update(outcome, actor=world.ministry_coordinator, data=harvest_data(dialogue))
    engine.run(outcome, "withdraw", actor=world.cso_coordinator, data={"reason": "Duplicate."})
    assert outcome.state == "withdrawn"


def test_recommendations_tracked_from_the_documented_outcome(partnership_world, dialogue):
    world = partnership_world
    items = list(Recommendation.objects.filter(request=dialogue).order_by("position"))
    assert [item.text for item in items] == ["Draft implementing guidelines", "Train juvenile judges"]
    assert all(item.state == "not_started" and item.reference.startswith("RC-") for item in items)
    item = items[0]
    # no owner yet: only the secretariat may report; then the owner's coordinators may
    assert not engine.capabilities(item, world.ministry_coordinator).can("progress_reported")
    engine.run(item, "owner_assigned", actor=world.secretariat, data={"organization": world.ministry.pk})
    item.refresh_from_db()
    assert item.owner_organization == world.ministry
    engine.run(
        item,
        "progress_reported",
        actor=world.ministry_coordinator,
        data={"status": "in_progress", "progress": 40, "note": "A first draft circulated."},
    )
    item.refresh_from_db()
    assert (item.state, item.progress) == ("in_progress", 40)
    with pytest.raises(InvalidInput):
        engine.run(
            item,
            "progress_reported",
            actor=world.ministry_coordinator,
            data={"status": "implemented", "progress": 70, "note": "Done?"},
        )
    with pytest.raises(InvalidInput):
        engine.run(
            item,
            "progress_reported",
            actor=world.secretariat,
            data={"status": "in_progress", "progress": 140, "note": "x"},
        )
    with pytest.raises(NotPermitted):
        engine.run(
            item,
            "progress_reported",
            actor=world.cso_coordinator,
            data={"status": "in_progress", "progress": 50, "note": "x"},
        )
    note = ProgressNote.objects.get(recommendation=item)
    assert (note.status_from, note.status_to, note.progress_from, note.progress_to) == (
        "not_started",
        "in_progress",
        0,
        40,
    )
    # the dialogue's outcome is public and its minutes confirmed: the item and its progress are public
    assert selectors.public_recommendations().filter(pk=item.pk).exists()


def test_backfill_command_is_idempotent(partnership_world, dialogue):
    from django.core.management import call_command

    Recommendation.objects.filter(request=dialogue).delete()
    call_command("track_recommendations", stdout=open("/dev/null", "w"))
    call_command("track_recommendations", stdout=open("/dev/null", "w"))
    assert Recommendation.objects.filter(request=dialogue).count() == 2


def test_linking_a_recommendation_is_on_its_chain(partnership_world, dialogue):
    world = partnership_world
    item = Recommendation.objects.filter(request=dialogue).order_by("position").first()
    outcome = harvest(world, dialogue, recommendations=[item.reference])
    assert list(outcome.recommendations.all()) == [item]
    event = AuditEvent.objects.get(case_type=item.case_type(), case_id=item.pk, action="outcome_linked")
    assert event.data == {"outcome": outcome.reference}


def test_an_outcome_of_a_restricted_dialogue_is_restricted(partnership_world, dialogue, substantiator):
    world = partnership_world
    dialogue.outcome.visibility = "restricted"
    dialogue.outcome.save(update_fields=["visibility"])
    with pytest.raises(InvalidInput) as refused:
        harvest(world, dialogue)
    assert "visibility" in refused.value.errors
    outcome = harvest(world, dialogue, visibility="restricted", public_summary="A unit changed a practice.")
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=substantiator, data={"verdict": "confirmed"})
    HarvestedOutcome.objects.filter(pk=outcome.pk).update(visibility="public")  # even if it were changed behind
    outcome.refresh_from_db()
    with pytest.raises(GuardFailed) as refused:
        engine.run(outcome, "publish", actor=world.secretariat)
    assert refused.value.reasons[0].code == "restricted_dialogue"


def test_link_a_follow_up_action_of_the_same_request_and_edit_the_wording(partnership_world, dialogue):
    from tests.workflows.partnership.conftest import draft, walk
    from workflows.partnership.models import ActionItem

    world = partnership_world
    item = Recommendation.objects.filter(request=dialogue).order_by("position").first()
    action = ActionItem.objects.create(
        request=dialogue,
        description="Draft the guidelines",
        owner_organization=world.ministry,
        due_date="2027-01-31",
        created_by=world.secretariat,
    )
    other = draft(world, title="Another dialogue")
    walk(world, other, "outcome_documented")
    foreign = ActionItem.objects.create(
        request=other,
        description="Elsewhere",
        owner_organization=world.ministry,
        due_date="2027-01-31",
        created_by=world.secretariat,
    )
    with pytest.raises(InvalidInput):
        engine.run(item, "action_linked", actor=world.secretariat, data={"action_item": foreign.pk})
    engine.run(item, "action_linked", actor=world.secretariat, data={"action_item": action.pk})
    assert list(item.action_items.all()) == [action]
    engine.run(
        item, "wording_edited", actor=world.secretariat, data={"text": item.text, "text_ar": "صياغة إرشادات التطبيق"}
    )
    item.refresh_from_db()
    assert item.text_ar == "صياغة إرشادات التطبيق"
    with pytest.raises(InvalidInput):
        engine.run(item, "wording_edited", actor=world.secretariat, data={"text": " ", "text_ar": ""})
    with pytest.raises(NotPermitted):
        engine.run(item, "wording_edited", actor=world.cso_coordinator, data={"text": "Mine now"})


def test_who_is_told(partnership_world, dialogue, substantiator):
    from engine.models import OutboxMessage

    world = partnership_world
    partisan = UserFactory(username="partisan-reviewer")
    partisan.groups.add(selectors.substantiators_group())
    MembershipFactory(user=partisan, organization=world.cso, role="member")
    outcome = harvest(world, dialogue)
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=substantiator, data={"verdict": "confirmed"})
    engine.run(outcome, "publish", actor=world.secretariat)
    told = set(
        OutboxMessage.objects.filter(case_type=outcome.case_type(), recipient__isnull=False).values_list(
            "event", "recipient__username"
        )
    )
    assert ("submit", "reviewer") in told and ("submit", "secretariat") in told
    assert ("submit", "partisan-reviewer") not in told  # not independent: not asked
    assert ("substantiate", "cso-coordinator") in told
    assert {("publish", "cso-coordinator"), ("publish", "ministry-coordinator")} <= told
