"""A party objects to the minutes with a correction request; the secretariat revises them or refuses.

While a correction is pending silence does not confirm the minutes (the parties' clock is paused);
a revision restarts the confirmation period and earlier confirmations no longer count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from engine import calendar
from engine.audit import verify_all
from engine.errors import GuardFailed, InvalidInput, NotPermitted
from engine.models import AuditEvent, OutboxMessage, SlaClock
from tests.factories import MembershipFactory
from workflows.partnership import selectors, services
from workflows.partnership.models import MinutesConfirmation, MinutesCorrection, Outcome

from .conftest import draft, walk

pytestmark = pytest.mark.django_db

CORRECTION = "Paragraph 2 says the ministry agreed to a pilot; it agreed to study one. Proposed: 'agreed to study'."


@pytest.fixture
def documented(partnership_world):
    w = partnership_world
    return w, walk(w, draft(w), "outcome_documented")


def clock_of(request) -> SlaClock:
    return SlaClock.objects.filter(
        case_id=request.pk, case_type=request.case_type(), state="outcome_documented", stopped_at__isnull=True
    ).get()


def scan_as_of(monkeypatch, moment: dt.datetime) -> None:
    from engine.management.commands import sla_scan as command

    monkeypatch.setattr(command, "wall_clock", lambda: moment + dt.timedelta(days=30))
    call_command("sla_scan", "--at", moment.isoformat(), stdout=StringIO())


def events(request, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(case_type=request.case_type(), case_id=request.pk, action=action))


def heard(request, event: str) -> set[tuple[str, str, str]]:
    rows = OutboxMessage.objects.filter(case_id=request.pk, event=event, recipient__isnull=False)
    return set(rows.values_list("recipient__username", "channel", "payload__kind"))


def test_a_correction_request_is_audited_notified_and_pauses_the_clock(documented):
    w, request = documented
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    request.refresh_from_db()
    (event,) = events(request, "minutes_correction_requested")
    assert event.actor == w.cso_coordinator
    assert event.data["correction"] == CORRECTION and event.data["organization"] == w.cso.pk
    assert event.data["revision"] == 1
    item = MinutesCorrection.objects.get(outcome__request=request)
    assert (item.status, item.organization, item.text, item.requested_by) == (
        "pending",
        w.cso,
        CORRECTION,
        w.cso_coordinator,
    )
    # the secretariat hears it (email and in the app); the other party in the app; the objector not at all
    told = heard(request, "minutes_correction_requested")
    assert {("secretariat", "email", "minutes_correction_requested")} <= told
    assert ("ministry-coordinator", "in_app", "minutes_correction_requested") in told
    assert not any(user == "cso-coordinator" for user, _, _ in told)
    with translation.override("ar"):
        from notify import messages

        assert "المحضر" in str(messages.MESSAGES["minutes_correction_requested"].label)
    assert clock_of(request).paused


def test_silence_does_not_confirm_while_a_correction_is_pending(documented, monkeypatch):
    w, request = documented
    due = clock_of(request).due_at
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    scan_as_of(monkeypatch, (due + dt.timedelta(days=10)).replace(microsecond=0))
    request.refresh_from_db()
    assert request.minutes_confirmed_at is None
    assert not events(request, "confirm_minutes_by_silence")
    assert not OutboxMessage.objects.filter(case_id=request.pk, event__in=["sla_breach", "sla_warning"]).exists()
    clock = clock_of(request)
    assert clock.paused and clock.breached_at is None and clock.status == "on_track"
    # and nobody confirms meanwhile: the objection is answered first
    with pytest.raises(GuardFailed) as refused:
        services.minutes_confirm(request=request, actor=w.ministry_coordinator)
    assert [reason.code for reason in refused.value.reasons] == ["correction_pending"]
    with translation.override("en"):
        assert w.cso.name in refused.value.reasons[0].text()


def test_a_revision_restarts_the_clock_resets_confirmations_and_is_audited(documented, monkeypatch):
    w, request = documented
    services.minutes_confirm(request=request, actor=w.ministry_coordinator)
    first = clock_of(request)
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    old_minutes = Outcome.objects.get(request=request).minutes
    revised = old_minutes.replace("agreed on", "agreed to study")
    services.minutes_revise(request=request, actor=w.secretariat, minutes=revised, note="Paragraph 2 corrected.")
    request.refresh_from_db()
    outcome = Outcome.objects.get(request=request)
    assert (outcome.minutes, outcome.minutes_revision) == (revised, 2)
    # the single session's minutes were the outcome's: they follow
    assert request.meetings.get(status="held").minutes == revised
    # every party confirms the revised version: the ministry's earlier confirmation no longer counts
    assert not MinutesConfirmation.objects.filter(outcome=outcome).exists()
    assert MinutesCorrection.objects.get(outcome=outcome).status == "revised"
    (event,) = events(request, "minutes_revised")
    assert event.data["previous_minutes_sha256"] == hashlib.sha256(old_minutes.encode()).hexdigest()
    assert event.data["minutes_sha256"] == hashlib.sha256(revised.encode()).hexdigest()
    assert event.data["confirmations_reset"] == [w.ministry.pk]
    assert event.data["note"] == "Paragraph 2 corrected."
    # the clock restarts with the whole allowance from the revision
    first.refresh_from_db()
    assert first.stopped_at == event.occurred_at
    second = clock_of(request)
    assert second.pk != first.pk and not second.paused
    assert second.due_at == calendar.add_business_days(event.occurred_at, 5)
    assert verify_all(access_log=False).ok  # the outcome's minutes changed through the unit: the digest agrees
    assert {("cso-coordinator", "email", "minutes_revised"), ("ministry-coordinator", "email", "minutes_revised")} <= (
        heard(request, "minutes_revised")
    )
    # silence on the revised minutes is consent for both parties, when the new period ends
    scan_as_of(monkeypatch, (second.due_at + dt.timedelta(hours=1)).replace(microsecond=0))
    request.refresh_from_db()
    assert request.minutes_confirmed_at is not None
    (silence,) = events(request, "confirm_minutes_by_silence")
    assert sorted(silence.data["silent_organizations"]) == sorted([w.cso.pk, w.ministry.pk])


def test_a_refusal_keeps_the_minutes_and_resumes_the_clock_where_it_paused(documented):
    w, request = documented
    due = clock_of(request).due_at
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    services.minutes_correction_reject(
        request=request, actor=w.secretariat, reason="The minutes record what was said at the meeting."
    )
    item = MinutesCorrection.objects.get(outcome__request=request)
    assert (item.status, item.answered_by) == ("rejected", w.secretariat)
    clock = clock_of(request)
    assert not clock.paused and clock.due_at >= due  # the paused time did not count
    assert Outcome.objects.get(request=request).minutes_revision == 1
    (event,) = events(request, "minutes_correction_rejected")
    assert event.data["correction_id"] == item.pk and event.data["reason"].startswith("The minutes record")
    assert ("cso-coordinator", "email", "minutes_correction_rejected") in heard(request, "minutes_correction_rejected")
    # the party may now confirm (or object again)
    services.minutes_confirm(request=request, actor=w.cso_coordinator)


def test_only_party_coordinators_who_have_not_confirmed_may_object(documented):
    w, request = documented
    member = MembershipFactory(organization=w.cso, role="member").user
    for outsider in (w.secretariat, w.other_cso_coordinator, w.auditor, member, w.chair):
        with pytest.raises(NotPermitted):
            services.minutes_correction_request(request=request, actor=outsider, correction=CORRECTION)
    services.minutes_confirm(request=request, actor=w.ministry_coordinator)
    with pytest.raises(GuardFailed) as refused:
        services.minutes_correction_request(request=request, actor=w.ministry_coordinator, correction=CORRECTION)
    assert [reason.code for reason in refused.value.reasons] == ["already_confirmed"]
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    with pytest.raises(GuardFailed) as twice:
        services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction="Again.")
    assert [reason.code for reason in twice.value.reasons] == ["correction_already_requested"]
    assert MinutesCorrection.objects.filter(outcome__request=request).count() == 1


def test_an_empty_correction_is_refused_and_changes_nothing(documented):
    w, request = documented
    version = request.version
    with pytest.raises(InvalidInput) as refused:
        services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction="   ")
    assert "correction" in refused.value.errors
    request.refresh_from_db()
    assert request.version == version and not MinutesCorrection.objects.exists()
    assert not clock_of(request).paused


def test_only_the_secretariat_revises_or_refuses(documented):
    w, request = documented
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    for other in (w.cso_coordinator, w.ministry_coordinator, w.auditor, w.chair):
        with pytest.raises(NotPermitted):
            services.minutes_revise(request=request, actor=other, minutes="New minutes.", note="Changed.")
        with pytest.raises(NotPermitted):
            services.minutes_correction_reject(request=request, actor=other, reason="No.")
    current = Outcome.objects.get(request=request).minutes
    with pytest.raises(GuardFailed) as same:
        services.minutes_revise(request=request, actor=w.secretariat, minutes=current, note="Nothing.")
    assert [reason.code for reason in same.value.reasons] == ["minutes_unchanged"]
    with pytest.raises(InvalidInput) as no_note:
        services.minutes_revise(request=request, actor=w.secretariat, minutes="New minutes.", note="")
    assert "note" in no_note.value.errors


def test_a_refusal_names_the_request_when_several_parties_objected(documented):
    w, request = documented
    with pytest.raises(GuardFailed) as nothing:
        services.minutes_correction_reject(request=request, actor=w.secretariat, reason="No.")
    assert [reason.code for reason in nothing.value.reasons] == ["no_correction_pending"]
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    services.minutes_correction_request(request=request, actor=w.ministry_coordinator, correction="Date is wrong.")
    with pytest.raises(GuardFailed) as which:
        services.minutes_correction_reject(request=request, actor=w.secretariat, reason="No.")
    assert [reason.code for reason in which.value.reasons] == ["correction_not_named"]
    cso_item, ministry_item = MinutesCorrection.objects.order_by("id")
    services.minutes_correction_reject(request=request, actor=w.secretariat, reason="No.", correction_id=cso_item.pk)
    # one request is still pending: the clock stays paused
    assert clock_of(request).paused
    with pytest.raises(GuardFailed) as again:
        services.minutes_correction_reject(
            request=request, actor=w.secretariat, reason="No.", correction_id=cso_item.pk
        )
    assert [reason.code for reason in again.value.reasons] == ["correction_unknown"]
    services.minutes_correction_reject(request=request, actor=w.secretariat, reason="No.")
    assert not clock_of(request).paused


def test_waiting_for_names_each_party_until_it_confirms(documented):
    w, request = documented

    def round_():
        fresh = selectors.visible_requests(w.secretariat).get(pk=request.pk)
        return selectors.minutes_rounds([fresh]).get(request.pk)

    assert [org.pk for org in round_().waiting] == [w.cso.pk, w.ministry.pk]
    services.minutes_correction_request(request=request, actor=w.cso_coordinator, correction=CORRECTION)
    assert round_().waits_for_secretariat
    services.minutes_correction_reject(request=request, actor=w.secretariat, reason="No.")
    assert not round_().waits_for_secretariat
    services.minutes_confirm(request=request, actor=w.ministry_coordinator)
    assert [org.pk for org in round_().waiting] == [w.cso.pk]
    services.minutes_confirm(request=request, actor=w.cso_coordinator)
    assert round_() is None  # confirmed: nobody is waited for
