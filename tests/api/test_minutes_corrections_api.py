"""The correction round of the minutes through the API's generic transition endpoints."""

from __future__ import annotations

import pytest

from tests.workflows.partnership.conftest import draft, walk

from .test_request_lifecycle import Client

pytestmark = pytest.mark.django_db


def test_a_correction_is_requested_revised_and_confirmed_over_http(partnership_world):
    w = partnership_world
    ref = walk(w, draft(w), "outcome_documented").reference
    cso, ministry, secretariat = Client("cso-coordinator"), Client("ministry-coordinator"), Client("secretariat")

    offered = {row["name"]: row for row in cso.get(f"requests/{ref}/transitions/")}
    assert offered["minutes_correction_requested"]["allowed"] and offered["confirm_minutes"]["allowed"]
    assert not offered["minutes_revised"]["allowed"]

    # a field error, then the objection; nothing is confirmed meanwhile
    missing = cso.act(ref, "minutes_correction_requested", {}, expect=400)
    assert "correction" in str(missing)
    cso.act(ref, "minutes_correction_requested", {"correction": "Paragraph 2 misquotes the ministry."})
    refused = ministry.act(ref, "confirm_minutes", expect=409)
    assert [reason["code"] for reason in refused["reasons"]] == ["correction_pending"]
    assert refused["reasons"][0]["article"] == "8"
    cso.act(ref, "minutes_revised", {"minutes": "New text.", "note": "Mine."}, expect=403)

    # the secretariat revises; each party confirms the revised minutes
    secretariat.act(ref, "minutes_revised", {"minutes": "The ministry agreed to study a pilot.", "note": "Para 2."})
    cso.act(ref, "confirm_minutes")
    assert ministry.act(ref, "confirm_minutes")["minutes_confirmed_at"] is not None

    history = [event["action"] for event in cso.get(f"requests/{ref}/history/")["results"]]
    assert history[-4:] == ["minutes_correction_requested", "minutes_revised", "confirm_minutes", "confirm_minutes"]
    revised = next(e for e in cso.get(f"requests/{ref}/history/")["results"] if e["action"] == "minutes_revised")
    assert len(revised["data"]["minutes_sha256"]) == 64 and revised["data"]["note"] == "Para 2."
    # the committee sees the case but not the correction round's words
    chair = Client("chair")
    hidden = next(e for e in chair.get(f"requests/{ref}/history/")["results"] if e["action"] == "minutes_revised")
    assert hidden["redacted"] and hidden["data"] == {}


def test_a_refusal_over_http_names_the_request(partnership_world):
    w = partnership_world
    ref = walk(w, draft(w), "outcome_documented").reference
    cso, secretariat = Client("cso-coordinator"), Client("secretariat")
    nothing = secretariat.act(ref, "minutes_correction_rejected", {"reason": "No."}, expect=409)
    assert nothing["reasons"][0]["code"] == "no_correction_pending"
    cso.act(ref, "minutes_correction_requested", {"correction": "Wrong date."})
    bad = secretariat.act(ref, "minutes_correction_rejected", {"reason": "No.", "correction_id": "x"}, expect=400)
    assert "correction_id" in str(bad)
    secretariat.act(ref, "minutes_correction_rejected", {"reason": "The date is right."})
    cso.act(ref, "confirm_minutes")
