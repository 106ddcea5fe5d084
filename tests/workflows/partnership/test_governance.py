"""Committee governance as data: terms, alternates, the deputy chair and the configured rule for an empty side."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from knox.models import AuthToken
from rest_framework.test import APIClient

from engine.errors import GuardFailed, NotPermitted
from engine.models import AuditEvent
from partners.models import CommitteeSeat
from tests.factories import UserFactory
from workflows.partnership import services
from workflows.partnership.models import CommitteeRule, ConflictDeclaration, Vote

from .conftest import draft, walk

pytestmark = pytest.mark.django_db

ARABIC = "\u0600"


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _deadlocked(w):
    """A ministry's request naming both CSOs: both civil-society seats are recused by their organizations."""
    CommitteeSeat.objects.filter(user=w.cso_seats[1]).update(organization=w.other_cso)
    request = draft(w, by="ministry", counterpart_organizations=[w.cso.pk, w.other_cso.pk])
    request = walk(w, request, "in_committee")
    return request


def _three_public_approvals(w, request):
    for member in (w.chair, w.gov[0], w.gov[1]):
        if request.state == "in_committee":
            services.vote_cast(request=request, actor=member, decision="approve")


def test_the_deadlock_is_decided_by_an_alternate(partnership_world):
    w = partnership_world
    alternate = UserFactory(username="cso-alternate")
    CommitteeSeat.objects.filter(user=w.cso_seats[1]).update(alternate=alternate)
    request = _deadlocked(w)
    _three_public_approvals(w, request)
    assert request.state == "in_committee"  # no civil-society vote yet: the alternate sits for the seat
    services.vote_cast(request=request, actor=alternate, decision="approve", reason="Sitting for my seat.")
    request.refresh_from_db()
    assert request.state == "approved"
    vote = Vote.objects.get(request=request, member=alternate)
    assert (vote.side, vote.alternate_for) == ("civil", w.cso_seats[1])
    event = AuditEvent.objects.get(case_id=request.pk, action="vote_cast", actor=alternate)
    assert event.data["as_alternate_for"] == w.cso_seats[1].pk and event.data["side"] == "civil"
    approved = AuditEvent.objects.get(case_id=request.pk, action="approve")
    assert approved.data["tally"]["alternates"] == {str(alternate.pk): w.cso_seats[1].pk}
    # the committee's vote list says whose seat the alternate sat in
    _instance, token = AuthToken.objects.create(user=w.secretariat)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    votes = client.get(f"/api/v1/requests/{request.reference}/votes/").json()["results"]
    assert {vote["member"]: vote["alternate_for"] for vote in votes} == {
        "chair": None,
        "committee-gov-1": None,
        "committee-gov-2": None,
        "cso-alternate": "committee-cso-2",
    }


def test_an_alternate_does_not_sit_while_the_member_can(partnership_world):
    w = partnership_world
    alternate = UserFactory(username="cso-alternate")
    CommitteeSeat.objects.filter(user=w.cso_seats[1]).update(alternate=alternate)
    request = walk(w, draft(w, by="ministry"), "in_committee")
    with pytest.raises(NotPermitted) as caught:
        services.vote_cast(request=request, actor=alternate, decision="approve")
    assert caught.value.reasons[0].code == "alternate_not_sitting"
    assert not Vote.objects.filter(member=alternate).exists()


def test_the_deadlock_refusal_states_the_configured_referral_and_the_lead_refers(partnership_world):
    w = partnership_world
    request = _deadlocked(w)
    _three_public_approvals(w, request)
    assert request.state == "in_committee"
    with pytest.raises(GuardFailed) as caught:
        services.request_decide(request=request, actor=w.chair, decision="approve", reason="Casting vote.")
    reason = caught.value.reasons[0]
    assert reason.code == "quorum_not_met" and reason.article == "5"
    assert "refers the request to the full platform" in reason.text() and "3 of 3" in reason.text()
    with translation.override("ar"):
        assert _arabic(reason.text()) and "refers" not in reason.text()
    # only the secretariat lead refers, once, and records the platform's decision
    with pytest.raises(NotPermitted):
        services.request_transition(
            request=request, name="referred_to_platform", actor=w.secretariat, data={"reason": "Deadlock."}
        )
    services.request_transition(
        request=request,
        name="referred_to_platform",
        actor=w.secretariat_lead,
        data={"reason": "Both civil-society seats are recused."},
    )
    referral = AuditEvent.objects.get(case_id=request.pk, action="referred_to_platform")
    assert referral.data["tally"]["empty_sides"] == ["civil"]
    assert referral.data["tally"]["empty_side_rule"] == "refer_to_platform"
    with pytest.raises(GuardFailed) as again:
        services.request_transition(
            request=request, name="referred_to_platform", actor=w.secretariat_lead, data={"reason": "Again."}
        )
    assert again.value.reasons[0].code == "already_referred"
    services.request_transition(
        request=request,
        name="platform_decided",
        actor=w.secretariat_lead,
        data={"decision": "approve", "reason": "The plenary approved on 3 March."},
    )
    request.refresh_from_db()
    assert (request.state, request.decision, request.referred_at is not None) == ("approved", "approved", True)
    decided = AuditEvent.objects.get(case_id=request.pk, action="platform_decided")
    assert decided.data["decided_by"] == "full_platform" and decided.actor_role == "secretariat_lead"


def test_the_deadlock_is_decided_by_the_configured_satisfied_side_rule(partnership_world):
    w = partnership_world
    CommitteeRule.objects.create(name="charter 2026", empty_side_rule="count_side_satisfied", empty_side_article="5")
    request = _deadlocked(w)
    _three_public_approvals(w, request)
    request.refresh_from_db()
    assert request.state == "approved"
    approved = AuditEvent.objects.get(case_id=request.pk, action="approve")
    tally = approved.data["tally"]
    assert (tally["empty_sides"], tally["sides_satisfied_by_rule"], tally["empty_side_rule"]) == (
        ["civil"],
        ["civil"],
        "count_side_satisfied",
    )
    # and the referral is not this committee's rule
    other = _deadlocked_again(w)
    with pytest.raises(GuardFailed) as caught:
        services.request_transition(
            request=other, name="referred_to_platform", actor=w.secretariat_lead, data={"reason": "Deadlock."}
        )
    assert caught.value.reasons[0].code == "referral_not_the_rule"
    assert "counts that side as satisfied" in caught.value.reasons[0].text()


def _deadlocked_again(w):
    request = draft(w, by="ministry", counterpart_organizations=[w.cso.pk, w.other_cso.pk])
    return walk(w, request, "in_committee")


def test_a_recused_chairs_tie_is_broken_by_the_deputy(partnership_world):
    w = partnership_world
    CommitteeSeat.objects.filter(user=w.gov[0]).update(is_deputy_chair=True)
    request = walk(w, draft(w, by="ministry"), "in_committee")
    services.conflict_declare(request=request, actor=w.chair, reason="My brother leads the ministry's unit.")
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    services.vote_cast(request=request, actor=w.gov[1], decision="reject", reason="No budget line.")
    services.vote_cast(request=request, actor=w.cso_seats[1], decision="abstain")
    request.refresh_from_db()
    assert request.state == "in_committee"
    assert AuditEvent.objects.filter(case_id=request.pk, action="committee_tied").exists()
    with pytest.raises(NotPermitted):
        services.request_decide(request=request, actor=w.chair, decision="reject", reason="Casting vote.")
    with pytest.raises(NotPermitted):
        services.request_decide(request=request, actor=w.gov[1], decision="reject", reason="Casting vote.")
    services.request_decide(request=request, actor=w.gov[0], decision="approve", reason="The deputy's casting vote.")
    request.refresh_from_db()
    assert (request.state, request.decision) == ("approved", "approved")
    event = AuditEvent.objects.get(case_id=request.pk, action="decide")
    assert (event.actor_id, event.actor_role, event.data["casting_vote_by"]) == (
        w.gov[0].pk,
        "deputy_chair",
        "deputy_chair",
    )
    # the parties are told who cast it: the deputy by name, not "the chair"
    from engine.models import OutboxMessage
    from notify.rendering import render

    row = OutboxMessage.objects.get(
        case_reference=request.reference, event="decide", recipient=w.cso_coordinator, channel="in_app"
    )
    told = render(
        kind=row.payload["kind"],
        payload=row.payload,
        case_type=row.case_type,
        reference=request.reference,
        language="en",
    )
    deputy = w.gov[0].get_full_name() or w.gov[0].get_username()
    assert told.body.startswith(f"{deputy} cast the committee's deciding vote") and "chair" not in told.subject


def test_the_chair_keeps_the_casting_vote_when_not_recused(partnership_world):
    w = partnership_world
    CommitteeSeat.objects.filter(user=w.gov[0]).update(is_deputy_chair=True)
    request = walk(w, draft(w, by="ministry"), "in_committee")
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    services.vote_cast(request=request, actor=w.gov[1], decision="reject", reason="No budget line.")
    services.vote_cast(request=request, actor=w.cso_seats[1], decision="approve")
    services.vote_cast(request=request, actor=w.chair, decision="reject", reason="Premature.")
    with pytest.raises(NotPermitted):
        services.request_decide(request=request, actor=w.gov[0], decision="approve", reason="Deputy.")
    services.request_decide(request=request, actor=w.chair, decision="reject", reason="Premature.")
    event = AuditEvent.objects.get(case_id=request.pk, action="decide")
    assert (event.actor_role, event.data["casting_vote_by"]) == ("chair", "chair")


def test_a_member_out_of_term_is_refused_with_a_translated_reason(partnership_world):
    w = partnership_world
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    CommitteeSeat.objects.filter(user=w.gov[0]).update(since=yesterday - dt.timedelta(days=700), term_end=yesterday)
    request = walk(w, draft(w, by="ministry"), "in_committee")
    _instance, token = AuthToken.objects.create(user=w.gov[0])
    for language in ("en", "ar"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post(f"/api/v1/requests/{request.reference}/votes/", {"decision": "approve"}, format="json")
        assert response.status_code == 403, response.content
        body = response.json()
        text = str(body)
        assert "out_of_term" in text
        assert ("term ended" in text) if language == "en" else _arabic(text)
    assert not Vote.objects.filter(request=request).exists()
    # a term that has not started yet is refused the same way; in term, the member votes
    CommitteeSeat.objects.filter(user=w.gov[0]).update(since=timezone.localdate() + dt.timedelta(days=3), term_end=None)
    with pytest.raises(NotPermitted) as caught:
        services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    assert caught.value.reasons[0].code == "out_of_term" and "starts on" in caught.value.reasons[0].text()
    CommitteeSeat.objects.filter(user=w.gov[0]).update(since=timezone.localdate())
    services.vote_cast(request=request, actor=w.gov[0], decision="approve")
    assert Vote.objects.filter(request=request, member=w.gov[0]).exists()


def test_an_absent_members_seat_is_taken_by_the_alternate(partnership_world):
    w = partnership_world
    alternate = UserFactory(username="gov-alternate")
    CommitteeSeat.objects.filter(user=w.gov[1]).update(alternate=alternate)
    request = walk(w, draft(w, by="ministry"), "in_committee")
    # a seat without an alternate cannot pass
    with pytest.raises(GuardFailed) as caught:
        services.absence_declare(request=request, actor=w.gov[0], reason="Travelling.")
    assert caught.value.reasons[0].code == "no_alternate"
    _instance, token = AuthToken.objects.create(user=w.gov[1])
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    path = f"/api/v1/requests/{request.reference}/absences/"
    response = client.post(path, {"reason": "Travelling until the 20th."}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["member"] == "committee-gov-2"
    event = AuditEvent.objects.get(case_id=request.pk, action="absence_declared")
    assert (event.data["alternate"], event.actor_id) == (alternate.pk, w.gov[1].pk)
    # the absent member no longer votes; the alternate does, for the seat's side
    with pytest.raises(NotPermitted) as refused:
        services.vote_cast(request=request, actor=w.gov[1], decision="approve")
    assert refused.value.reasons[0].code == "absent"
    services.vote_cast(request=request, actor=alternate, decision="reject", reason="Not a priority.")
    vote = Vote.objects.get(request=request, member=alternate)
    assert (vote.side, vote.alternate_for) == ("public", w.gov[1])
    assert client.post(path, {"reason": "Again."}, format="json").status_code == 403


def test_a_member_who_voted_cannot_stand_aside(partnership_world):
    w = partnership_world
    CommitteeSeat.objects.filter(user=w.gov[1]).update(alternate=UserFactory(username="gov-alternate"))
    request = walk(w, draft(w, by="ministry"), "in_committee")
    services.vote_cast(request=request, actor=w.gov[1], decision="abstain")
    with pytest.raises(GuardFailed) as caught:
        services.absence_declare(request=request, actor=w.gov[1], reason="Travelling.")
    assert caught.value.reasons[0].code == "already_voted_cannot_stand_aside"
    assert not AuditEvent.objects.filter(case_id=request.pk, action="absence_declared").exists()


def test_an_automatic_recusal_reads_in_the_readers_language(partnership_world, client):
    """The platform's words for an automatic recusal are translated when shown, not frozen in one language."""
    from tests.portal.conftest import url

    w = partnership_world
    request = _deadlocked(w)
    conflict = ConflictDeclaration.objects.get(request=request, member=w.cso_seats[0], automatic=True)
    assert conflict.reason == "Member of an organization that is party to the request."  # the row keeps its words
    client.force_login(w.auditor)
    arabic = client.get(url("portal:request_detail", "ar", reference=request.reference)).content.decode()
    assert "عضو في جهة هي طرف في الطلب." in arabic
    assert "Member of an organization that is party to the request." not in arabic
    english = client.get(url("portal:request_detail", "en", reference=request.reference)).content.decode()
    assert "Member of an organization that is party to the request." in english
