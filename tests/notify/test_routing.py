from __future__ import annotations

import pytest
from django.core import mail
from notifications.models import Notification

import engine
from engine.models import OutboxMessage
from engine.outbox import OutboxEvent
from notify import routing
from notify.models import ChannelPreference, UserSettings

pytestmark = pytest.mark.django_db


def _rows(ticket, event):
    return list(
        OutboxMessage.objects.filter(case_id=ticket.pk, event=event)
        .exclude(channel=routing.EVENT)
        .order_by("recipient__username", "channel")
        .values_list("recipient__username", "channel")
    )


def test_transition_writes_one_row_per_recipient_and_channel_but_none_for_the_actor(ticket, audiences, ticket_routes):
    # given the secretariat is "secretary" and "staff", and staff acts
    # when
    engine.run(ticket, "open", actor=audiences["staff"])
    # then the secretary hears by both channels; the acting staff member hears nothing
    assert _rows(ticket, "open") == [("secretary", "email"), ("secretary", "in_app")]
    row = OutboxMessage.objects.get(case_id=ticket.pk, event="open", recipient__username="secretary", channel="email")
    assert row.dedupe_key == f"sample.ticket:{ticket.pk}:2:open:{row.recipient_id}:email"
    assert row.status == OutboxMessage.Status.PENDING
    assert row.payload["kind"] == "open" and row.payload["actor_name"] == "Sami Staff"
    # and the occurrence itself is recorded once, with nothing to deliver
    event_row = OutboxMessage.objects.get(case_id=ticket.pk, event="open", channel=routing.EVENT)
    assert (event_row.recipient_id, event_row.status) == (None, OutboxMessage.Status.SKIPPED)


def test_rows_are_delivered_after_commit_in_app_and_by_email(
    ticket, audiences, ticket_routes, django_capture_on_commit_callbacks
):
    # when the transition commits (tasks run in-process without a broker)
    with django_capture_on_commit_callbacks(execute=True):
        engine.run(ticket, "open", actor=audiences["staff"])
    # then
    secretary = audiences["secretary"]
    assert [m.to for m in mail.outbox] == [["secretary@example.org"]]
    assert Notification.objects.filter(recipient=secretary, unread=True).count() == 1
    statuses = set(
        OutboxMessage.objects.filter(case_id=ticket.pk, event="open")
        .exclude(channel=routing.EVENT)
        .values_list("status", flat=True)
    )
    assert statuses == {OutboxMessage.Status.SENT}


def test_rolled_back_transition_leaves_no_rows_and_sends_nothing(
    ticket, audiences, ticket_routes, django_capture_on_commit_callbacks
):
    from django.db import transaction

    # when the surrounding transaction fails after the transition
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                engine.run(ticket, "open", actor=audiences["staff"])
                raise RuntimeError("later step failed")
    # then
    assert callbacks == []
    assert not OutboxMessage.objects.filter(case_id=ticket.pk, event="open").exists()
    assert mail.outbox == []


def test_preferences_switch_channels_per_kind(ticket, audiences, ticket_routes):
    # given the secretary wants "open" in the app only, and the other staff member wants no email at all for it
    secretary = audiences["secretary"]
    ChannelPreference.objects.create(user=secretary, kind="open", in_app=True, email=False)
    # when
    engine.run(ticket, "open", actor=audiences["staff"])
    # then
    assert _rows(ticket, "open") == [("secretary", "in_app")]


def test_preference_can_switch_on_a_channel_the_default_leaves_off(ticket, audiences, monkeypatch):
    # given vote_cast is in-app only by default, and the chair asks for email too
    monkeypatch.setitem(
        routing.routes_for("sample.ticket"), "open", routing.routes_for("partnership.dialoguerequest")["vote_cast"]
    )
    ChannelPreference.objects.create(user=audiences["chair"][0], kind="open", in_app=False, email=True)
    # when
    engine.run(ticket, "open", actor=audiences["staff"])
    # then
    assert _rows(ticket, "open") == [("chair", "email"), ("secretary", "in_app")]


def test_inactive_people_and_people_without_email(ticket, audiences, ticket_routes):
    # given
    secretary = audiences["secretary"]
    secretary.email = ""
    secretary.save()
    audiences["staff"].is_active = True
    # when staff acts
    engine.run(ticket, "open", actor=audiences["staff"])
    # then no email row for an address-less person, but in-app still
    assert _rows(ticket, "open") == [("secretary", "in_app")]
    # and an inactive person gets nothing at all
    secretary.is_active = False
    secretary.save()
    engine.run(ticket, "ask", actor=audiences["staff"], data={"note": "which printer?"})
    engine.run(ticket, "answer", actor=audiences["requester"], data={"note": "the big one"})
    assert _rows(ticket, "ask") == [("requester", "email"), ("requester", "in_app")]


def test_a_person_in_two_audiences_hears_once_per_channel(ticket, audiences, monkeypatch):
    # given the counterpart is in "parties" and in "action_owners"
    monkeypatch.setitem(
        routing.routes_for("sample.ticket"),
        "open",
        routing.routes_for("partnership.dialoguerequest")["start_follow_up"],
    )
    # when
    engine.run(ticket, "open", actor=audiences["staff"])
    # then
    assert _rows(ticket, "open") == [
        ("counterpart", "email"),
        ("counterpart", "in_app"),
        ("requester", "email"),
        ("requester", "in_app"),
    ]


def test_digest_readers_email_waits_for_their_hour(ticket, audiences, ticket_routes, speaks):
    # given the secretary takes a daily digest at 18:00
    secretary = audiences["secretary"]
    speaks(secretary, "en", digest=UserSettings.Digest.DAILY, digest_hour=18)
    # when
    engine.run(ticket, "open", actor=audiences["staff"])
    # then the email waits as a digest row; in-app is immediate
    assert _rows(ticket, "open") == [("secretary", "digest"), ("secretary", "in_app")]
    row = OutboxMessage.objects.get(case_id=ticket.pk, event="open", channel=routing.DIGEST)
    from django.utils import timezone

    local = timezone.localtime(row.deliver_after)
    assert (local.hour, local.minute) == (18, 0) and row.deliver_after > timezone.now()


def test_router_cost_does_not_grow_with_recipients(
    ticket, people, monkeypatch, make_user, django_assert_max_num_queries
):
    # given 20 staff people (the ticket flow lets staff see the ticket), some with preferences and settings
    crowd = [make_user(f"member-{i}", is_staff=True) for i in range(20)]
    for person in crowd[:5]:
        ChannelPreference.objects.create(user=person, kind="open", in_app=True, email=False)
        UserSettings.objects.create(user=person, language="ar")
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("secretariat",)),))
    monkeypatch.setattr("workflows.sample.flows.TicketFlow.audience", lambda self, name: crowd)
    event = OutboxEvent(
        event="open",
        case_type=ticket.case_type(),
        case_id=ticket.pk,
        case_reference=ticket.reference,
        case=ticket,
        actor=people["staff"],
        audit_seq=9,
    )
    # when / then: the recipients with their settings and preferences cost ONE query, whatever their
    # number; the flow's per-person visibility is asked of those rows, with no query of its own
    with django_assert_max_num_queries(1):
        rows = routing.route_events([event])
    assert len(rows) == 1 + 20 + 15


def test_a_per_person_visibility_rule_still_keeps_out_who_may_not_see_the_case(ticket, people, monkeypatch, make_user):
    # given the ticket flow's own rule (staff or the ticket's owner see it), and an audience with an outsider
    insider = make_user("insider", is_staff=True)
    outsider = make_user("outsider")
    gone = make_user("gone", is_staff=True, is_active=False)
    audience = [insider, outsider, gone, people["requester"]]
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("secretariat",)),))
    monkeypatch.setattr("workflows.sample.flows.TicketFlow.audience", lambda self, name: audience)
    # when
    engine.run(ticket, "open", actor=people["staff"])
    # then the staff member and the owner hear of it, the outsider and the inactive person do not
    assert _rows(ticket, "open") == [
        ("insider", routing.EMAIL),
        ("insider", routing.IN_APP),
        ("requester", routing.EMAIL),
        ("requester", routing.IN_APP),
    ]


def test_sla_events_go_to_the_clock_owner_and_breaches_escalate(ticket, audiences):
    # given an SLA scan's events carry ids only, no case object
    def sla_event(name, owner):
        return OutboxEvent(
            event=name,
            case_type=ticket.case_type(),
            case_id=ticket.pk,
            case_reference=ticket.reference,
            key=f"sla:1:{name}",
            payload={"clock": 1, "state": "open", "owner": owner, "due_at": "2026-03-02T16:00:00+02:00"},
        )

    # when
    warning = routing.route_events([sla_event("sla_warning", "requester")])
    breach = routing.route_events([sla_event("sla_breach", "counterpart")])
    # then
    assert {(r.recipient.username, r.channel) for r in warning if r.recipient_id} == {
        ("requester", "in_app"),
        ("requester", "email"),
    }
    assert {r.recipient.username for r in breach if r.recipient_id} == {"counterpart", "secretary", "chair"}
    assert all(r.payload["title"] == "Printer on fire" for r in breach if r.recipient_id)


def test_unknown_events_only_leave_their_record(ticket, audiences):
    # when
    rows = routing.route_events(
        [OutboxEvent(event="something_new", case_type=ticket.case_type(), case_id=ticket.pk, case=ticket)]
    )
    # then
    assert [(r.channel, r.status) for r in rows] == [(routing.EVENT, OutboxMessage.Status.SKIPPED)]


def test_every_routed_kind_has_words_and_a_default_channel():
    from notify.messages import MESSAGES

    for kind in routing.kinds():
        assert kind in MESSAGES, kind
        assert routing.default_channels(kind), kind


def test_a_broken_audience_does_not_block_the_change_and_shows_as_failed(ticket, audiences, ticket_routes, monkeypatch):
    # given the flow's audience look-up has a bug
    def broken(self, name):
        raise KeyError(name)

    monkeypatch.setattr("workflows.sample.flows.TicketFlow.audience", broken)
    # when
    engine.run(ticket, "open", actor=audiences["staff"])
    # then the ticket moved, and the event's row says what went wrong, for the secretariat's list
    ticket.refresh_from_db()
    assert ticket.state == "open"
    row = OutboxMessage.objects.get(case_id=ticket.pk, event="open")
    assert (row.channel, row.status) == (routing.EVENT, OutboxMessage.Status.FAILED)
    assert row.last_error.startswith("routing failed: KeyError")
    from notify.selectors import outbox_problems

    assert list(outbox_problems()) == [row]
