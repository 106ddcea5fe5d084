"""The notification fast paths give what the slow paths give: the hand-over from the written rows, one
message per transition, and the recipients' query as cached PostgreSQL text."""

from __future__ import annotations

import base64
import json
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import engine
from config.celery import app as celery_app
from engine.models import OutboxMessage
from notify import routing, tasks
from notify.models import ChannelPreference

pytestmark = pytest.mark.django_db

DISPATCH = "notify.tasks.dispatch_outbox"


@pytest.fixture
def eager():
    """Set Celery's ``task_always_eager`` for the test (the app's conf, read when a task is sent)."""
    before = celery_app.conf.task_always_eager

    def set_eager(value: bool) -> None:
        celery_app.conf.task_always_eager = value

    yield set_eager
    celery_app.conf.task_always_eager = before


def test_the_hand_over_from_the_written_rows_picks_what_reading_them_back_picks(
    ticket, audiences, ticket_routes, speaks, monkeypatch, settings, django_capture_on_commit_callbacks
):
    # given the requester reads a daily digest (their email row waits), and the dispatcher is notify's
    speaks(audiences["requester"], "en", digest="daily")
    settings.ENGINE = {**settings.ENGINE, "OUTBOX_DISPATCHER": DISPATCH}
    handed: list[list[int]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda ids: handed.append(list(ids)))
    engine.run(ticket, "open", actor=audiences["staff"])
    # when a transition commits
    with django_capture_on_commit_callbacks() as callbacks:
        engine.run(ticket, "ask", actor=audiences["staff"], data={"note": "which floor?"})
    with CaptureQueriesContext(connection) as captured:
        for callback in callbacks:
            callback()
    # then its rows were handed over in one call, without reading them back ...
    assert len(handed) == 1 and not captured.captured_queries
    fast = handed.pop()
    # ... and the same rows as the dispatcher given only their ids picks by reading them
    ids = list(OutboxMessage.objects.filter(case_id=ticket.pk, event="ask").values_list("pk", flat=True))
    tasks.dispatch_outbox(ids)
    assert fast and sorted(fast) == sorted(handed.pop())
    channels = set(OutboxMessage.objects.filter(pk__in=fast).values_list("channel", flat=True))
    assert channels == {routing.IN_APP}  # the event's record and the digest row stay behind


def test_a_row_changed_after_it_was_written_is_left_to_the_worker_to_refuse(ticket, audiences, crowd, eager):
    # given the rows as the engine wrote them, one of them since settled in the database
    eager(True)
    engine.run(ticket, "open", actor=audiences["staff"])
    rows = list(OutboxMessage.objects.filter(case_id=ticket.pk, event="open").exclude(channel=routing.EVENT))
    OutboxMessage.objects.filter(pk=rows[0].pk).update(status=OutboxMessage.Status.SKIPPED)
    # when the stale rows are handed over (eager: delivered at once)
    tasks.dispatch_rows(rows)
    # then the settled row stayed as it was and every other one was delivered
    assert OutboxMessage.objects.get(pk=rows[0].pk).status == OutboxMessage.Status.SKIPPED
    others = OutboxMessage.objects.filter(pk__in=[row.pk for row in rows[1:]])
    assert set(others.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}


def test_one_transition_is_one_message_carrying_every_due_id(ticket, audiences, crowd, monkeypatch, eager):
    # given a transition that told twenty people by two channels
    engine.run(ticket, "open", actor=audiences["staff"])
    rows = list(OutboxMessage.objects.filter(case_id=ticket.pk, event="open"))
    due = sorted(row.pk for row in rows if row.channel != routing.EVENT)
    assert len(due) == 40
    published: list[tuple] = []
    eager(False)
    monkeypatch.setattr(tasks, "_publish", lambda task, calls: published.append((task, calls)) or len(calls))
    # when they are handed over
    tasks.dispatch_rows(rows)
    # then ONE batch task carries all forty ids
    assert len(published) == 1
    task, calls = published[0]
    assert task is tasks.deliver_outbox_batch and len(calls) == 1
    assert sorted(calls[0][0]) == due


@pytest.mark.redis
def test_the_message_on_the_broker_carries_the_ids_and_shows_them(ticket, audiences, crowd, settings):
    import redis

    queue = f"notify-fast-{os.getpid()}"
    settings.NOTIFY = {"QUEUE": queue}
    if celery_app.conf.task_always_eager:
        pytest.skip("needs a real broker")
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    engine.run(ticket, "open", actor=audiences["staff"])
    rows = list(OutboxMessage.objects.filter(case_id=ticket.pk, event="open"))
    due = sorted(row.pk for row in rows if row.channel != routing.EVENT)
    try:
        # when
        tasks.dispatch_rows(rows)
        # then the queue holds one message: the batch task with every id, its arguments shown as they are
        raw = broker.lrange(queue, 0, -1)
        assert len(raw) == 1
        message = json.loads(raw[0])
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert message["headers"]["task"] == tasks.deliver_outbox_batch.name
        assert sorted(args[0]) == due and kwargs == {}
        assert message["headers"]["argsrepr"] == repr((args[0],))
    finally:
        for key in broker.scan_iter(match=f"*{queue}*"):
            broker.delete(key)


@pytest.mark.postgres
def test_the_recipients_sql_reads_what_the_orm_query_reads(people, make_user, speaks):
    # given people with and without settings, channel choices for some kinds, and an inactive one
    speaks(people["requester"], "ar", digest="daily", digest_hour=7)
    speaks(people["secretary"], "en")
    ChannelPreference.objects.create(user=people["requester"], kind="close", email=False)
    ChannelPreference.objects.create(user=people["requester"], kind="open", in_app=False)
    ChannelPreference.objects.create(user=people["chair"][0], kind="close", in_app=False)
    ChannelPreference.objects.create(user=people["secretary"], kind="not-asked", email=False)
    gone = make_user("gone", is_active=False)
    ids = {people["requester"].pk, people["secretary"].pk, people["chair"][0].pk, people["staff"].pk, gone.pk}
    kinds = {"close", "open"}
    # when the router asks (PostgreSQL: the cached text) and the ORM asks
    with CaptureQueriesContext(connection) as captured:
        users, preferences = routing._recipients(ids, kinds)
    slow_users, slow_preferences = routing._recipients_from(routing._recipients_query(ids, kinds))
    # then one query, and the same people with the same values and the same choices
    assert len(captured.captured_queries) == 1 and "ANY" in captured.captured_queries[0]["sql"]
    assert preferences == slow_preferences and len(preferences) == 3
    assert users.keys() == slow_users.keys() == ids - {gone.pk}
    extra = ("notify_digest", "notify_digest_hour")
    for pk, user in users.items():
        for field in type(user)._meta.concrete_fields:
            assert getattr(user, field.attname) == getattr(slow_users[pk], field.attname), field.attname
        for name in extra:
            assert getattr(user, name) == getattr(slow_users[pk], name), name
    assert users[people["requester"].pk].notify_digest == "daily"
    assert users[people["staff"].pk].notify_digest is None
