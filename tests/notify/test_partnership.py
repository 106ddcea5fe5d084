"""Who hears what along a dialogue request's life, through the partnership services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

import engine
from engine.models import OutboxMessage
from engine.outbox import OutboxEvent
from notify import delivery, reminders, routing
from tests.factories import business_day
from tests.workflows.partnership.conftest import draft, meeting_data, walk
from workflows.partnership import services

pytestmark = pytest.mark.django_db

BOTH = {"in_app", "email"}
IN_APP = {"in_app"}


def heard(request, event):
    """{username: {channels}} of the rows the last ``event`` on ``request`` wrote."""
    seq = (
        OutboxMessage.objects.filter(case_id=request.pk, case_type=request.case_type(), event=event)
        .order_by("-audit_seq")
        .values_list("audit_seq", flat=True)
        .first()
    )
    result: dict[str, set[str]] = {}
    for username, channel in OutboxMessage.objects.filter(
        case_id=request.pk, case_type=request.case_type(), event=event, audit_seq=seq, recipient__isnull=False
    ).values_list("recipient__username", "channel"):
        result.setdefault(username, set()).add(channel)
    return result


def kinds_heard(request, event):
    return {
        row["recipient__username"]: row["payload"]["kind"]
        for row in OutboxMessage.objects.filter(
            case_id=request.pk, event=event, recipient__isnull=False, channel="in_app"
        ).values("recipient__username", "payload")
    }


@pytest.fixture
def world(partnership_world, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return partnership_world


COMMITTEE = {"chair", "committee-gov-1", "committee-gov-2", "committee-cso-1", "committee-cso-2"}
SECRETARIAT = {"secretariat", "secretariat-lead"}
PARTIES = {"cso-coordinator", "ministry-coordinator"}


def _all(names, channels):
    return {name: set(channels) for name in names}


def test_the_main_path_tells_each_party_its_part(world):
    # submit: the secretariat triages
    request = draft(world)
    services.request_submit(request=request, actor=world.cso_coordinator)
    assert heard(request, "submit") == _all(SECRETARIAT, BOTH)
    # accept: the parties hear; the committee members who may vote are asked to (the conflicted one is not)
    services.request_accept(request=request, actor=world.secretariat)
    assert heard(request, "accept") == {
        **_all(PARTIES, BOTH),
        **_all({"chair", "committee-gov-1", "committee-gov-2", "committee-cso-2"}, BOTH),
    }
    assert kinds_heard(request, "accept")["chair"] == "vote_needed"
    assert kinds_heard(request, "accept")["cso-coordinator"] == "accept"
    # a vote: the chair and the secretariat see it in the app; the voter hears nothing
    services.vote_cast(request=request, actor=world.gov[0], decision="approve")
    assert heard(request, "vote_cast") == _all({"chair", *SECRETARIAT}, IN_APP)
    # the votes settle it: the engine approves; parties and secretariat by both channels, the committee in-app
    services.vote_cast(request=request, actor=world.cso_seats[1], decision="approve")
    services.vote_cast(request=request, actor=world.gov[1], decision="approve")
    assert request.state == "approved"
    assert heard(request, "approve") == {**_all(COMMITTEE, IN_APP), **_all(PARTIES | SECRETARIAT, BOTH)}
    # the meeting: the invitees get the invitation; the other secretariat member sees it in the app
    services.meeting_schedule(request=request, actor=world.secretariat, data=meeting_data())
    assert heard(request, "schedule_meeting") == {**_all(PARTIES, BOTH), "secretariat-lead": IN_APP}
    walk(world, request, "meeting_held")
    assert heard(request, "record_meeting") == _all(PARTIES, IN_APP)
    # the outcome: the parties are asked to confirm the minutes
    walk(world, request, "outcome_documented")
    assert heard(request, "document_outcome") == _all(PARTIES, BOTH)
    assert kinds_heard(request, "document_outcome")["cso-coordinator"] == "minutes_to_confirm"
    # (the minutes stay on the event's own row, not copied once per recipient)
    payloads = OutboxMessage.objects.filter(case_id=request.pk, event="document_outcome").values_list(
        "channel", "payload"
    )
    assert all(("minutes" in payload["data"]) == (channel == "event") for channel, payload in payloads)
    services.minutes_confirm(request=request, actor=world.cso_coordinator)
    assert heard(request, "confirm_minutes") == _all(SECRETARIAT, IN_APP)
    services.minutes_confirm(request=request, actor=world.ministry_coordinator)
    # close: the parties hear
    services.request_close(request=request, actor=world.secretariat)
    assert heard(request, "close") == _all(PARTIES, BOTH)
    # reopen: parties and the rest of the secretariat
    services.request_reopen(request=request, actor=world.secretariat, reason="The ministry asked for a follow-up.")
    assert heard(request, "reopen") == {**_all(PARTIES, BOTH), "secretariat-lead": BOTH}


def test_information_round_trip_and_decline(world):
    # given
    request = walk(world, draft(world), "submitted")
    # when / then
    services.request_info_request(request=request, actor=world.secretariat, message="Which courts take part?")
    assert heard(request, "request_info") == _all({"cso-coordinator"}, BOTH)
    services.request_info_provide(request=request, actor=world.cso_coordinator, message="Beirut and Tripoli.")
    assert heard(request, "provide_info") == _all(SECRETARIAT, BOTH)
    services.request_decline(request=request, actor=world.secretariat, reason="Outside the charter.", article="2")
    assert heard(request, "decline") == _all({"cso-coordinator"}, BOTH)


def test_withdrawal_tells_the_secretariat_and_the_counterparts(world):
    request = walk(world, draft(world), "in_committee")
    services.request_withdraw(request=request, actor=world.cso_coordinator, reason="The law passed meanwhile.")
    assert heard(request, "withdraw") == {**_all(SECRETARIAT, BOTH), "ministry-coordinator": BOTH}


def test_a_counterpart_never_hears_of_a_request_it_cannot_see(world):
    # given a request submitted but not accepted yet: the counterpart gets 404 on it
    request = walk(world, draft(world), "submitted")
    # when the requester withdraws it
    services.request_withdraw(request=request, actor=world.cso_coordinator, reason="The law passed meanwhile.")
    # then only the secretariat is told (no title or requester leaks to the counterpart by mail or in-app)
    assert heard(request, "withdraw") == _all(SECRETARIAT, BOTH)


def test_rejection_appeal_tie_and_the_chairs_casting_vote(world):
    # given a request before the committee
    request = walk(world, draft(world), "in_committee")
    # when the committee rejects it
    for member in (world.gov[0], world.gov[1], world.cso_seats[1]):
        if request.state == "in_committee":
            services.vote_cast(request=request, actor=member, decision="reject", reason="Not a policy question.")
    assert request.state == "rejected"
    assert heard(request, "reject") == {**_all(COMMITTEE, IN_APP), **_all(PARTIES | SECRETARIAT, BOTH)}
    # and the requester appeals: a new round, every eligible member is asked to vote again
    services.request_appeal(request=request, actor=world.cso_coordinator, reason="It is one: see the annex.")
    assert heard(request, "appeal") == {
        **_all(SECRETARIAT, BOTH),
        **_all({"chair", "committee-gov-1", "committee-gov-2", "committee-cso-2"}, BOTH),
    }
    # and the votes tie: the chair is asked for the casting vote
    services.vote_cast(request=request, actor=world.gov[0], decision="approve")
    services.vote_cast(request=request, actor=world.cso_seats[1], decision="reject", reason="Still no.")
    services.vote_cast(request=request, actor=world.gov[1], decision="approve")
    services.vote_cast(request=request, actor=world.chair, decision="reject", reason="Agree with the CSO seat.")
    assert request.state == "in_committee"
    assert heard(request, "committee_tied") == {"chair": BOTH, **_all(SECRETARIAT, IN_APP)}
    services.request_decide(request=request, actor=world.chair, decision="approve", reason="Worth hearing.")
    assert heard(request, "decide") == {
        **_all(COMMITTEE - {"chair"}, IN_APP),
        **_all(PARTIES | SECRETARIAT, BOTH),
    }


def test_withdrawing_cancels_the_meeting_on_every_invitees_calendar(world, django_capture_on_commit_callbacks):
    # given a scheduled meeting the ministry's coordinator was invited to
    request = walk(world, draft(world), "approved")
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_schedule(request=request, actor=world.secretariat, data=meeting_data())
    uid = request.meetings.get().uid
    mail.outbox.clear()
    # when the requester withdraws the request
    with django_capture_on_commit_callbacks(execute=True):
        services.request_withdraw(request=request, actor=world.cso_coordinator, reason="The law passed meanwhile.")
    # then the invitee receives the cancellation of the same event, with a higher sequence
    cancelled = next(m for m in mail.outbox if m.to == ["ministry-coordinator@example.org"])
    (name, content, mimetype) = cancelled.attachments[0]
    assert mimetype == "text/calendar" and "METHOD:CANCEL" in content and "SEQUENCE:1" in content
    assert uid in content
    assert request.meetings.get().status == "cancelled"


def test_meeting_changes_carry_the_calendar_file(world, django_capture_on_commit_callbacks):
    # given a scheduled meeting
    request = walk(world, draft(world), "approved")
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_schedule(request=request, actor=world.secretariat, data=meeting_data())
    invitation = [m for m in mail.outbox if m.to == ["cso-coordinator@example.org"]]
    assert len(invitation) == 1
    (name, content, mimetype) = invitation[0].attachments[0]
    assert mimetype == "text/calendar" and name == f"{request.reference}.ics"
    assert "METHOD:REQUEST" in content and "SEQUENCE:0" in content
    # when the meeting moves, then is cancelled
    mail.outbox.clear()
    later = business_day(timezone.now() + dt.timedelta(days=9))
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_reschedule(request=request, actor=world.secretariat, data=meeting_data(later))
    assert heard(request, "reschedule_meeting") == {**_all(PARTIES, BOTH), "secretariat-lead": IN_APP}
    moved = next(m for m in mail.outbox if m.to == ["ministry-coordinator@example.org"])
    assert "SEQUENCE:1" in moved.attachments[0][1]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(request=request, actor=world.secretariat, reason="The minister is travelling.")
    # then the invitees get the cancellation, which removes the event from their calendars
    assert heard(request, "cancel_meeting") == _all(PARTIES, BOTH)
    cancelled = next(m for m in mail.outbox if m.to == ["cso-coordinator@example.org"])
    assert "METHOD:CANCEL" in cancelled.attachments[0][1]
    assert "The minister is travelling." in cancelled.body


def test_action_items_reach_their_owners_and_reminders_come_once(world):
    # given a request in follow-up with an action item owned by the ministry
    request = walk(world, draft(world), "outcome_documented")
    walk(world, request, "follow_up")
    assert heard(request, "start_follow_up") == _all(PARTIES, BOTH)
    due = timezone.localdate() + dt.timedelta(days=2)
    item = services.action_item_create(
        request=request,
        actor=world.secretariat,
        description="Draft guidelines",
        owner_organization=world.ministry,
        due_date=due,
    )
    # then the ministry's coordinator hears it was assigned to them
    assert heard(request, "action_item_created") == _all({"ministry-coordinator"}, BOTH)
    assert kinds_heard(request, "action_item_created") == {"ministry-coordinator": "action_assigned"}
    # and a change of description tells no one, a change of owner tells the new owner
    services.action_item_update(item=item, actor=world.secretariat, description="Draft the guidelines")
    assert heard(request, "action_item_updated") == {}
    services.action_item_update(item=item, actor=world.secretariat, owner_person=world.cso_coordinator)
    assert heard(request, "action_item_updated") == _all({"cso-coordinator"}, BOTH)
    # when the reminder scan runs twice
    first, second = reminders.scan(), reminders.scan()
    # then "due soon" went out once, to the owner
    assert (first, second) == (1, 0)
    assert heard(request, "action_due_soon") == _all({"cso-coordinator"}, BOTH)
    # and once overdue, one more reminder, once
    later = timezone.now() + dt.timedelta(days=4)
    assert (reminders.scan(now=later), reminders.scan(now=later)) == (1, 0)
    assert heard(request, "action_overdue") == {"cso-coordinator": BOTH, **_all(SECRETARIAT, IN_APP)}
    # and the owner's progress report shows in the secretariat's list
    services.action_update_add(item=item, actor=world.cso_coordinator, text="First draft circulated.")
    assert heard(request, "action_update_added") == _all(SECRETARIAT, IN_APP)


def test_meeting_in_48_hours_is_reminded_once_per_date(world):
    # given a meeting in three days
    request = walk(world, draft(world), "approved")
    start = timezone.now() + dt.timedelta(days=3)
    # (the reminder is timed in hours from now: a weekend date is kept, with the audited override)
    services.meeting_schedule(
        request=request,
        actor=world.secretariat,
        data=meeting_data(start, allow_non_business_day=True, override_reason="Reminder timing is counted in hours."),
    )
    # when the scan runs now: too early
    assert reminders.scan() == 0
    # and 30 hours later, twice
    day_later = timezone.now() + dt.timedelta(hours=30)
    assert (reminders.scan(now=day_later), reminders.scan(now=day_later)) == (1, 0)
    assert heard(request, "meeting_soon") == _all(PARTIES, BOTH)
    # when the meeting moves to the day after, it earns a new reminder
    services.meeting_reschedule(
        request=request,
        actor=world.secretariat,
        data=meeting_data(
            start + dt.timedelta(days=1),
            allow_non_business_day=True,
            override_reason="Reminder timing is counted in hours.",
        ),
    )
    assert reminders.scan(now=day_later) == 0
    assert reminders.scan(now=day_later + dt.timedelta(days=1)) == 1


def test_sla_events_reach_the_owner_and_escalate_to_the_lead_and_the_chair(world):
    # given a request waiting for the committee
    request = walk(world, draft(world), "in_committee")
    services.vote_cast(request=request, actor=world.gov[0], decision="approve")

    def sla(name):
        return OutboxEvent(
            event=name,
            case_type=request.case_type(),
            case_id=request.pk,
            case_reference=request.reference,
            key=f"sla:test:{name}",
            payload={"clock": 1, "state": "in_committee", "owner": "committee", "due_at": timezone.now()},
        )

    # when
    engine.outbox.emit([sla("sla_warning"), sla("sla_breach")])
    # then the warning goes to the members who have not voted; the breach also to the lead and the chair
    waiting = {"chair", "committee-gov-2", "committee-cso-2"}
    assert heard(request, "sla_warning") == _all(waiting, BOTH)
    assert heard(request, "sla_breach") == _all(waiting | {"secretariat-lead"}, BOTH)


def test_lapse_by_the_engine_tells_requester_and_secretariat(world):
    request = walk(world, draft(world), "submitted")
    services.request_info_request(request=request, actor=world.secretariat, message="Budget?")
    engine.run(request, "lapse", actor=None)
    assert heard(request, "lapse") == _all({"cso-coordinator"} | SECRETARIAT, BOTH)


def test_messages_speak_the_recipients_language(world, django_capture_on_commit_callbacks, settings):
    # given the CSO coordinator reads Arabic, the ministry coordinator English
    settings.SITE_URL = "https://dialogue.example.org"
    from notify.services import user_language_set

    user_language_set(user=world.cso_coordinator, language="ar")
    user_language_set(user=world.ministry_coordinator, language="en")
    request = walk(world, draft(world), "submitted")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.request_accept(request=request, actor=world.secretariat)
    # then
    arabic = next(m for m in mail.outbox if m.to == ["cso-coordinator@example.org"])
    english = next(m for m in mail.outbox if m.to == ["ministry-coordinator@example.org"])
    assert arabic.subject == f"{request.reference}: قُبل الطلب وأُحيل إلى اللجنة"
    assert english.subject == f"{request.reference}: accepted and passed to the committee"
    assert arabic.extra_headers["Content-Language"] == "ar"
    html = arabic.alternatives[0][0]
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "قبلت الأمانة" in arabic.body
    # and the link opens the request in the reader's language
    for message, language in ((arabic, "ar"), (english, "en")):
        with translation.override(language):
            path = reverse("portal:request_detail", kwargs={"reference": request.reference})
        assert f"https://dialogue.example.org{path}" in message.body


def test_rows_are_delivered_by_the_worker_code(world):
    # given every row of a submission, delivered as a worker would
    request = draft(world)
    services.request_submit(request=request, actor=world.cso_coordinator)
    ids = OutboxMessage.objects.filter(case_id=request.pk, event="submit", recipient__isnull=False).values_list(
        "pk", flat=True
    )
    # when
    outcomes = {delivery.deliver(pk).status for pk in ids}
    # then
    assert outcomes == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == ["secretariat-lead@example.org", "secretariat@example.org"]
    assert set(routing.routes_for("partnership.dialoguerequest")) >= {"submit", "accept", "close", "sla_breach"}


def test_conflict_declarations_reach_the_chair_and_the_secretariat_in_the_app(world):
    request = walk(world, draft(world), "in_committee")
    services.conflict_declare(request=request, actor=world.gov[1], reason="My brother runs the CSO's programme.")
    assert heard(request, "conflict_declared") == _all({"chair", *SECRETARIAT}, IN_APP)


def test_the_sla_scan_escalates_a_forgotten_request(world):
    # given a submitted request nobody triaged for a month
    from engine import sla

    request = walk(world, draft(world), "submitted")
    # when the scan runs as of then
    sla.scan(at=timezone.now() + dt.timedelta(days=30))
    # then the secretariat (the clock's owner), its lead and the chair hear of the breach
    assert heard(request, "sla_breach") == _all({*SECRETARIAT, "chair"}, BOTH)
    assert kinds_heard(request, "sla_breach")["chair"] == "sla_breach"
