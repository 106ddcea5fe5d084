"""The outcome register and recommendations over HTTP, as the people who use them."""

from __future__ import annotations

import pytest

from tests.workflows.outcomes.conftest import dialogue, harvest_data, substantiator  # noqa: F401
from workflows.outcomes.models import HarvestedOutcome, Recommendation

pytestmark = pytest.mark.django_db


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, format="json", **headers)


def test_harvest_substantiate_publish_over_http(partnership_world, dialogue, substantiator, client_for):  # noqa: F811
    w = partnership_world
    cso = client_for(w.cso_coordinator)
    body = harvest_data(dialogue)
    created = post(cso, "/api/v1/outcomes/", body, HTTP_IDEMPOTENCY_KEY="harvest-1")
    assert created.status_code == 201, created.content
    ref = created.json()["reference"]
    assert created.json()["state"] == "draft" and created.json()["requests"] == [dialogue.reference]
    again = post(cso, "/api/v1/outcomes/", body, HTTP_IDEMPOTENCY_KEY="harvest-1")
    assert again.status_code == 201 and again.json()["reference"] == ref
    other = post(cso, "/api/v1/outcomes/", {**body, "title": "Other"}, HTTP_IDEMPOTENCY_KEY="harvest-1")
    assert other.status_code == 422
    assert HarvestedOutcome.objects.count() == 1

    outsider = client_for(w.other_cso_coordinator)  # signed in, party to nothing here
    assert outsider.get(f"/api/v1/outcomes/{ref}/").status_code == 404
    assert post(cso, f"/api/v1/outcomes/{ref}/transitions/submit/").status_code == 200
    reviewer = client_for(substantiator)
    listed = reviewer.get("/api/v1/outcomes/?state=submitted").json()
    assert [item["reference"] for item in listed["results"]] == [ref]
    refused = post(
        client_for(w.secretariat), f"/api/v1/outcomes/{ref}/transitions/substantiate/", {"verdict": "confirmed"}
    )
    assert refused.status_code == 403
    done = post(reviewer, f"/api/v1/outcomes/{ref}/transitions/substantiate/", {"verdict": "confirmed"})
    assert done.status_code == 200 and done.json()["state"] == "substantiated"
    assert post(client_for(w.secretariat), f"/api/v1/outcomes/{ref}/transitions/publish/").status_code == 200
    public = outsider.get(f"/api/v1/outcomes/{ref}/")
    assert public.status_code == 200 and public.json()["state"] == "published"
    history = outsider.get(f"/api/v1/outcomes/{ref}/history/").json()
    actions = (
        [event["action"] for event in history["results"]] if "results" in history else [e["action"] for e in history]
    )
    assert actions == ["create", "submit", "substantiate", "publish"]


def test_harvest_input_errors_are_400_and_translated(partnership_world, dialogue, client_for):  # noqa: F811
    w = partnership_world
    ar = client_for(w.cso_coordinator, language="ar")
    answer = post(ar, "/api/v1/outcomes/", harvest_data(dialogue, requests=["DR-1999-0001"], bogus=1))
    assert answer.status_code == 400
    assert "bogus" in answer.json()["errors"]
    answer = post(ar, "/api/v1/outcomes/", harvest_data(dialogue, requests=["DR-1999-0001"]))
    assert answer.status_code == 400 and "requests" in answer.json()["errors"]
    answer = post(ar, "/api/v1/outcomes/", harvest_data(dialogue, visibility="restricted"))
    assert answer.status_code == 400
    message = answer.json()["errors"]["public_summary"][0]
    assert any("\u0600" <= ch <= "\u06ff" for ch in message)
    assert HarvestedOutcome.objects.count() == 0


def test_recommendation_progress_over_http(partnership_world, dialogue, client_for):  # noqa: F811
    w = partnership_world
    item = Recommendation.objects.filter(request=dialogue).order_by("position").first()
    secretariat = client_for(w.secretariat)
    anonymous = client_for(None)
    outsider = client_for(w.other_cso_coordinator)
    public = outsider.get("/api/v1/recommendations/").json()
    assert item.reference in [row["reference"] for row in public["results"]]
    url = f"/api/v1/recommendations/{item.reference}/transitions/progress_reported/"
    bad = post(secretariat, url, {"status": "in_progress", "progress": 101, "note": "x"})
    assert bad.status_code == 400 and "progress" in bad.json()["errors"]
    assert post(anonymous, url, {"status": "in_progress", "progress": 10, "note": "x"}).status_code in (401, 403)
    ok = post(secretariat, url, {"status": "in_progress", "progress": 60, "note": "Guidelines drafted."})
    assert ok.status_code == 200, ok.content
    detail = outsider.get(f"/api/v1/recommendations/{item.reference}/").json()
    assert detail["status"] == "in_progress" and detail["progress"] == 60
    assert detail["progress_notes"][0]["note"] == "Guidelines drafted."


def test_edit_a_draft_over_http(partnership_world, dialogue, client_for):  # noqa: F811
    w = partnership_world
    cso = client_for(w.cso_coordinator)
    ref = post(cso, "/api/v1/outcomes/", harvest_data(dialogue)).json()["reference"]
    edited = cso.patch(f"/api/v1/outcomes/{ref}/", {"place": "Tripoli"}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["place"] == "Tripoli" and edited.json()["title"] == harvest_data(dialogue)["title"]
    bad = cso.patch(f"/api/v1/outcomes/{ref}/", {"changed_on": "2999-01-01"}, format="json")
    assert bad.status_code == 400 and "changed_on" in bad.json()["errors"]
    other = client_for(w.ministry_coordinator)  # party to the dialogue, but drafts are the harvester's
    assert other.patch(f"/api/v1/outcomes/{ref}/", {"place": "Sidon"}, format="json").status_code == 404
    assert post(cso, f"/api/v1/outcomes/{ref}/transitions/submit/").status_code == 200
    late = cso.patch(f"/api/v1/outcomes/{ref}/", {"place": "Sidon"}, format="json")
    assert late.status_code == 409
    assert HarvestedOutcome.objects.get(reference=ref).place == "Tripoli"
