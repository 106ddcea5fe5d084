from __future__ import annotations

import json

import pytest

from workflows.partnership import services

from .conftest import draft, outcome_data, url, walk

pytestmark = pytest.mark.django_db


def published(world, **outcome):
    case = walk(world, draft(world), "meeting_held")
    services.outcome_document(request=case, actor=world.secretariat, data=outcome_data(**outcome))
    services.minutes_confirm(request=case, actor=world.cso_coordinator)
    services.minutes_confirm(request=case, actor=world.ministry_coordinator)
    return case


@pytest.mark.parametrize("language", ["ar", "en"])
def test_anyone_reads_published_outcomes_without_signing_in(client, world, language):
    case = published(world)
    page = client.get(url("portal:transparency", language)).content.decode()
    assert case.reference in page and "Agreement to draft implementing guidelines" in page
    detail = client.get(url("portal:transparency_detail", language, reference=case.reference))
    assert detail.status_code == 200
    assert "Train juvenile judges" in detail.content.decode()


def test_restricted_and_unpublished_outcomes_stay_off_the_portal(client, world):
    restricted = published(world, visibility="restricted", restriction_reason="Names minors.")
    unconfirmed = walk(world, draft(world), "outcome_documented")
    page = client.get(url("portal:transparency", "en")).content.decode()
    assert restricted.reference not in page and unconfirmed.reference not in page
    for case in (restricted, unconfirmed):
        assert client.get(url("portal:transparency_detail", "en", reference=case.reference)).status_code == 404


def test_a_restricted_outcome_shows_only_the_words_chosen_for_the_public(client, world):
    said = published(
        world,
        visibility="restricted",
        restriction_reason="Names minors.",
        public_summary="The parties agreed on next steps for diversion; details stay with them.",
    )
    silent = published(world, visibility="restricted", restriction_reason="Names minors.")
    assert said.outcome.public_summary.startswith("The parties agreed") and silent.outcome.public_summary == ""
    for language, heading in (("en", "Restricted outcomes: what may be said"), ("ar", "نتائج مقيّدة: ما يجوز قوله")):
        page = client.get(url("portal:transparency", language)).content.decode()
        assert heading in page
        assert said.reference in page and "details stay with them" in page
        assert silent.reference not in page
        # nothing of the restricted record itself: not its summary, minutes or the reason it is restricted
        assert "Names minors." not in page and said.outcome.summary not in page and said.outcome.minutes not in page
    # the full outcome page stays closed to the public
    assert client.get(url("portal:transparency_detail", "en", reference=said.reference)).status_code == 404


def test_a_public_outcome_keeps_no_public_summary_of_its_own(world):
    case = published(world, public_summary="Ignored: the outcome itself is public.")
    case.outcome.refresh_from_db()
    assert case.outcome.visibility == "public" and case.outcome.public_summary == ""


def test_the_portal_searches_and_filters_by_theme(client, world):
    case = published(world)
    assert case.reference in client.get(url("portal:transparency", "en"), {"q": "guidelines"}).content.decode()
    miss = client.get(url("portal:transparency", "en"), {"q": "nothing like this"}).content.decode()
    assert case.reference not in miss and "No published outcome matches your search." in miss
    other = client.get(url("portal:transparency", "en"), {"theme": "no-such-theme"}).content.decode()
    assert case.reference not in other
    fragment = client.get(url("portal:transparency", "en"), {"q": "guidelines"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()


def test_follow_up_progress_is_public(client, world):
    case = published(world)
    services.request_follow_up_start(request=case, actor=world.secretariat)
    item = services.action_item_create(
        request=case,
        actor=world.secretariat,
        description="Train judges",
        owner_organization=world.ministry.pk,
        due_date="2027-06-30",
    )
    services.action_item_update(item=item, actor=world.secretariat, status="done")
    page = client.get(url("portal:transparency_detail", "en", reference=case.reference)).content.decode()
    assert "1 of 1 actions completed or closed" in page and "Train judges" in page


def test_the_latest_signed_checkpoint_is_published(client, world, tmp_path):
    from engine.checkpoint import create_checkpoint

    published(world)
    assert client.get(url("portal:checkpoint_download", "en")).status_code == 404
    created = create_checkpoint(output=tmp_path / "checkpoint.json", signing_key_path=tmp_path / "key.pem")
    page = client.get(url("portal:transparency", "en")).content.decode()
    assert created.checkpoint.digest in page
    download = client.get(url("portal:checkpoint_download", "en"))
    document = json.loads(download.content)
    assert document["digest"] == created.checkpoint.digest and document["algorithm"] == "Ed25519"
    # and the signing key's fingerprint, to pin, is on the page (the one audit_checkpoint prints)
    assert document["key_id"] and f'<code dir="ltr" id="checkpoint-key">{document["key_id"]}</code>' in page
