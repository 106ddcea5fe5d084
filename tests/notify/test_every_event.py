"""Every routed event, end to end on the sample ticket: recipients, channels, language, preferences."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from notifications.models import Notification

from engine.models import OutboxMessage
from engine.outbox import OutboxEvent
from notify import delivery, routing
from notify.messages import GENERIC, MESSAGES
from notify.models import ChannelPreference
from notify.rendering import render

pytestmark = pytest.mark.django_db

ARABIC = re.compile("[\u0600-\u06ff]")


def _expected(event: str, people: dict) -> dict[str, set[str]]:
    """Who the routing table says hears ``event``, worked out from the people fixture."""
    special = {
        routing.OWNER: [people["requester"]],
        routing.RECIPIENTS: people["counterparts"],
        routing.INVITEES: people["invitees"],
        routing.ACTION_OWNER: [],  # the sample ticket has no action items
    }
    result: dict[str, set[str]] = {}
    for rule in routing.routes_for("partnership.dialoguerequest")[event]:
        for name in rule.audiences:
            found = special.get(name, people.get(name, []))
            for user in found if isinstance(found, list) else [found]:
                if user == people["staff"]:
                    continue
                channels = result.setdefault(user.username, set())
                if not channels:
                    channels.update(rule.channels)
    return result


@pytest.mark.parametrize("event", sorted(routing.routes_for("partnership.dialoguerequest")))
def test_every_event_reaches_its_audience_in_their_language(event, ticket, audiences, speaks, monkeypatch):
    # given the partnership's routing table, lent to the sample ticket, and
    partnership = routing.routes_for("partnership.dialoguerequest")
    monkeypatch.setitem(routing.ROUTES, ticket.case_type(), dict(partnership))
    # the requester reads Arabic, everyone else English
    speaks(audiences["requester"], "ar")
    for user in {*audiences["parties"], *audiences["secretariat"], *audiences["committee"]} - {audiences["requester"]}:
        speaks(user, "en")
    occurrence = OutboxEvent(
        event=event,
        case_type=ticket.case_type(),
        case_id=ticket.pk,
        case_reference=ticket.reference,
        case=ticket,
        actor=audiences["staff"],
        audit_seq=7,
        payload={
            "recipients": [audiences["counterparts"][0].pk],
            "owner": "requester",
            "state": "open",
            "to_state": "open",
            "data": {"reason": "A reason", "due_at": "2026-03-02T16:00:00+02:00"},
        },
    )
    # when the router writes the rows and workers deliver them
    rows = routing.route_events([occurrence])
    OutboxMessage.objects.bulk_create(rows)
    saved = OutboxMessage.objects.filter(dedupe_key__startswith=occurrence.occurrence_key).exclude(
        channel=routing.EVENT
    )
    for row in saved:
        assert delivery.deliver(row.pk).status == "sent"
    # then exactly the table's audience heard it, on the table's channels, never the actor
    heard: dict[str, set[str]] = {}
    for username, channel in saved.values_list("recipient__username", "channel"):
        heard.setdefault(username, set()).add(channel)
    assert heard == _expected(event, audiences)
    # and every email speaks its reader's language
    for message in mail.outbox:
        arabic_reader = message.to == ["requester@example.org"]
        assert bool(ARABIC.search(message.subject)) is arabic_reader, (message.to, message.subject)
        assert message.subject.startswith(ticket.reference)
        assert message.alternatives and message.alternatives[0][1] == "text/html"
        assert "%(" not in message.body
    # and in-app notifications are there for in-app rows
    in_app = saved.filter(channel=routing.IN_APP).count()
    assert Notification.objects.filter(data__event=event).count() == in_app


@pytest.mark.parametrize("event", sorted(routing.routes_for("partnership.dialoguerequest")))
def test_switching_a_kind_off_silences_it(event, ticket, audiences, monkeypatch):
    monkeypatch.setitem(routing.ROUTES, ticket.case_type(), dict(routing.routes_for("partnership.dialoguerequest")))
    # given everyone switched off both channels for every kind this event uses
    kinds = {rule.kind or event for rule in routing.routes_for("partnership.dialoguerequest")[event]}
    users = [u for u in {*audiences["parties"], *audiences["secretariat"], *audiences["committee"]}]
    ChannelPreference.objects.bulk_create(
        [ChannelPreference(user=u, kind=k, in_app=False, email=False) for u in users for k in kinds]
    )
    # when
    rows = routing.route_events(
        [
            OutboxEvent(
                event=event,
                case_type=ticket.case_type(),
                case_id=ticket.pk,
                case=ticket,
                actor=audiences["staff"],
                payload={"recipients": [audiences["counterparts"][0].pk], "owner": "requester"},
            )
        ]
    )
    # then only the event's own record remains
    assert [row.channel for row in rows] == [routing.EVENT]


@pytest.mark.parametrize("kind", [*sorted(MESSAGES), "no-such-kind"])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_kind_has_words_in_both_languages(kind, language):
    # when
    rendered = render(
        kind=kind,
        payload={"title": "Juvenile justice", "actor_name": "Rana", "to_state": "submitted"},
        case_type="partnership.dialoguerequest",
        reference="DR-2026-0007",
        language=language,
    )
    # then
    assert rendered.subject.startswith("DR-2026-0007")
    assert "%(" not in rendered.subject + rendered.body
    assert bool(ARABIC.search(rendered.body)) is (language == "ar")
    message = MESSAGES.get(kind, GENERIC)
    assert str(message.label)
