"""The outcome register in the portal and on the public side: pages, actions, transparency and open data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import engine
from tests.workflows.outcomes.conftest import dialogue, harvest, harvest_data, substantiator  # noqa: F401
from tests.workflows.partnership.conftest import draft
from workflows.outcomes.models import Evidence, HarvestedOutcome, Recommendation

pytestmark = pytest.mark.django_db


def _published(world, request, reviewer, **overrides):
    outcome = harvest(world, request, **overrides)
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=reviewer, data={"verdict": "confirmed"})
    engine.run(outcome, "publish", actor=world.secretariat)
    return outcome


def _disputed(world, request, reviewer):
    outcome = harvest(world, request, title="A rumour of reform")
    engine.run(outcome, "submit", actor=world.cso_coordinator)
    engine.run(outcome, "substantiate", actor=reviewer, data={"verdict": "disputed", "note": "Not verifiable."})
    return outcome


def test_harvest_through_the_portal_then_act_by_capability(client, partnership_world, dialogue, substantiator):  # noqa: F811
    w = partnership_world
    client.force_login(w.cso_coordinator)
    page = client.get("/outcomes/harvest/")
    assert page.status_code == 200 and dialogue.reference in page.content.decode()
    data = harvest_data(dialogue)
    data["evidence_links"] = "\n".join(data["evidence_links"])
    bad = client.post("/outcomes/harvest/", {**data, "changed_on": "2999-01-01"})
    assert bad.status_code == 400 and "cannot be dated in the future" in bad.content.decode()
    assert HarvestedOutcome.objects.count() == 0
    made = client.post("/outcomes/harvest/", data)
    assert made.status_code == 302
    outcome = HarvestedOutcome.objects.get()
    detail = client.get(made["Location"]).content.decode()
    assert "unit-submit" in detail and "unit-substantiate" not in detail and "unit-publish" not in detail

    upload = SimpleUploadedFile("memo.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    added = client.post(f"/outcomes/{outcome.reference}/evidence/", {"file": upload, "description": "Memo"})
    assert added.status_code == 302 and Evidence.objects.filter(outcome=outcome).count() == 1
    fake = SimpleUploadedFile("memo.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(f"/outcomes/{outcome.reference}/evidence/", {"file": fake})
    assert refused.status_code == 400 and Evidence.objects.filter(outcome=outcome).count() == 1

    assert client.post(f"/outcomes/{outcome.reference}/do/submit/").status_code == 302
    client.force_login(substantiator)
    page = client.get(f"/outcomes/{outcome.reference}/").content.decode()
    assert "unit-substantiate" in page
    disputed = client.post(f"/outcomes/{outcome.reference}/do/substantiate/", {"verdict": "disputed"})
    assert disputed.status_code == 400  # a dispute needs a note; nothing changed
    assert HarvestedOutcome.objects.get(pk=outcome.pk).state == "submitted"
    done = client.post(f"/outcomes/{outcome.reference}/do/substantiate/", {"verdict": "confirmed"})
    assert done.status_code == 302
    client.force_login(w.secretariat)
    assert client.post(f"/outcomes/{outcome.reference}/do/publish/").status_code == 302
    assert HarvestedOutcome.objects.get(pk=outcome.pk).state == "published"


def test_register_filters_and_visibility(client, partnership_world, dialogue, substantiator):  # noqa: F811
    w = partnership_world
    published = _published(w, dialogue, substantiator)
    draft = harvest(w, dialogue, title="Still a draft", change_type="practice")
    client.force_login(w.other_cso_coordinator)  # party to nothing: sees only what is published
    page = client.get("/outcomes/").content.decode()
    assert published.reference in page and draft.reference not in page
    assert client.get(f"/outcomes/{draft.reference}/").status_code == 404
    client.force_login(w.cso_coordinator)
    page = client.get("/outcomes/?type=practice").content.decode()
    assert draft.reference in page and published.reference not in page
    page = client.get("/outcomes/?state=published").content.decode()
    assert published.reference in page and draft.reference not in page


def test_public_pages_and_open_data(client, partnership_world, dialogue, substantiator):  # noqa: F811
    w = partnership_world
    public = _published(w, dialogue, substantiator)
    restricted = _published(
        w,
        dialogue,
        substantiator,
        title="Secret negotiation result",
        visibility="restricted",
        public_summary="A ministry changed how it consults civil society.",
    )
    disputed = _disputed(w, dialogue, substantiator)
    item = Recommendation.objects.filter(request=dialogue).order_by("position").first()
    engine.run(item, "owner_assigned", actor=w.secretariat, data={"organization": w.ministry.pk})
    engine.run(
        item,
        "progress_reported",
        actor=w.ministry_coordinator,
        data={"status": "in_progress", "progress": 45, "note": "Draft guidelines sent to the council."},
    )

    page = client.get("/transparency/results/").content.decode()
    assert public.reference in page and public.title in page
    assert "A ministry changed how it consults civil society." in page
    assert "Secret negotiation result" not in page
    assert disputed.reference not in page and "A rumour of reform" not in page
    assert "Draft guidelines sent to the council." in page and "45%" in page
    assert client.get(f"/outcomes/{disputed.reference}/").status_code == 404
    assert client.get(f"/outcomes/{restricted.reference}/").status_code == 404  # the full record is not public

    outcomes = json.loads(client.get("/transparency/open-data/outcomes.json").content)
    rows = {row["reference"]: row for row in outcomes["rows"]}
    assert set(rows) == {public.reference, restricted.reference}
    assert rows[public.reference]["social_actor"] == public.social_actor
    assert rows[restricted.reference]["title"] is None
    assert rows[restricted.reference]["public_summary"] == "A ministry changed how it consults civil society."
    assert outcomes["count"] == 2 and outcomes["fields"][0] == "reference"

    text = client.get("/transparency/open-data/outcomes.csv").content.decode("utf-8-sig")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["reference"] for row in parsed) == sorted([public.reference, restricted.reference])
    assert "A rumour of reform" not in text and "Secret negotiation result" not in text

    recs = json.loads(client.get("/transparency/open-data/recommendations.json").content)["rows"]
    mine = next(row for row in recs if row["reference"] == item.reference)
    assert (mine["status"], mine["progress"], mine["owner_organization"]) == ("in_progress", 45, w.ministry.name)
    progress = list(
        csv.DictReader(io.StringIO(client.get("/transparency/open-data/progress.csv").content.decode("utf-8-sig")))
    )
    assert [(row["recommendation"], row["progress_to"]) for row in progress] == [(item.reference, "45")]
    assert client.get("/transparency/open-data/secrets.csv").status_code == 404


def test_recommendation_page_progress_form(client, partnership_world, dialogue):  # noqa: F811
    w = partnership_world
    item = Recommendation.objects.filter(request=dialogue).order_by("position").first()
    client.force_login(w.secretariat)
    from workflows.partnership.models import ActionItem

    ActionItem.objects.create(
        request=dialogue,
        description="Draft the guidelines",
        owner_organization=w.ministry,
        due_date="2027-01-31",
        created_by=w.secretariat,
    )
    other = draft(w, title="Another dialogue")
    ActionItem.objects.create(
        request=other,
        description="Someone else's action",
        owner_organization=w.cso,
        due_date="2027-01-31",
        created_by=w.secretariat,
    )
    page = client.get(f"/recommendations/{item.reference}/").content.decode()
    assert "unit-progress_reported" in page and "unit-owner_assigned" in page
    assert "Draft the guidelines" in page and "Someone else&#x27;s action" not in page and "Someone else" not in page
    bad = client.post(
        f"/recommendations/{item.reference}/do/progress_reported/",
        {"status": "implemented", "progress": 50, "note": "?"},
    )
    assert bad.status_code == 400 and "100%" in bad.content.decode()
    ok = client.post(
        f"/recommendations/{item.reference}/do/progress_reported/",
        {"status": "implemented", "progress": 100, "note": "Adopted."},
    )
    assert ok.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.progress) == ("implemented", 100)
    client.force_login(w.other_cso_coordinator)
    page = client.get(f"/recommendations/{item.reference}/").content.decode()
    assert "Adopted." in page and "unit-progress_reported" not in page


def test_register_in_arabic(client, partnership_world, dialogue, substantiator):  # noqa: F811
    _published(partnership_world, dialogue, substantiator)
    page = client.get("/ar/transparency/results/").content.decode()
    assert 'dir="rtl"' in page and "البيانات المفتوحة" in page


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_public_pages_cost_the_same_for_one_or_many_outcomes(client, partnership_world, dialogue, substantiator):  # noqa: F811
    w = partnership_world
    _published(w, dialogue, substantiator)
    urls = [
        "/transparency/results/",
        "/transparency/open-data/outcomes.json",
        "/transparency/open-data/recommendations.csv",
    ]
    one = [_queries(client, url) for url in urls]
    for n in range(3):
        _published(w, dialogue, substantiator, title=f"Outcome {n}")
    for item in Recommendation.objects.filter(request=dialogue):
        engine.run(
            item,
            "progress_reported",
            actor=w.secretariat,
            data={"status": "in_progress", "progress": 20, "note": "Begun."},
        )
    many = [_queries(client, url) for url in urls]
    assert many == one


def test_edit_the_draft_in_the_portal(client, partnership_world, dialogue):  # noqa: F811
    w = partnership_world
    outcome = harvest(w, dialogue)
    client.force_login(w.cso_coordinator)
    page = client.get(f"/outcomes/{outcome.reference}/edit/")
    assert page.status_code == 200 and 'value="15/01/2026"' in page.content.decode()  # shown day first
    data = harvest_data(dialogue, place="Tripoli")
    data["evidence_links"] = "\n".join(data["evidence_links"])
    assert client.post(f"/outcomes/{outcome.reference}/edit/", data).status_code == 302
    outcome.refresh_from_db()
    assert outcome.place == "Tripoli"
    client.force_login(w.ministry_coordinator)
    assert client.get(f"/outcomes/{outcome.reference}/edit/").status_code == 404
