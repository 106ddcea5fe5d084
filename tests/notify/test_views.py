from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation
from notifications.models import Notification

import engine
from engine.models import OutboxMessage
from notify import delivery, selectors, services
from notify.models import ChannelPreference, UserSettings

pytestmark = pytest.mark.django_db


def en_url(name, args=None, language="en"):
    """The address of a page in ``language`` (pages carry their language in the URL)."""
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture
def secretary_notified(ticket, audiences, ticket_routes):
    """The secretary has two unread notifications: the ticket was opened, then asked about."""
    from notify import routing

    routing.routes_for("sample.ticket")["ask"] = (routing.Rule(("secretariat",), kind="request_info"),)
    engine.run(ticket, "open", actor=audiences["staff"])
    engine.run(ticket, "ask", actor=audiences["staff"], data={"note": "Which printer?"})
    for pk in OutboxMessage.objects.filter(channel="in_app").values_list("pk", flat=True):
        delivery.deliver(pk)
    return audiences["secretary"]


def test_unread_count_is_one_query(secretary_notified, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.unread_count(secretary_notified) == 2


@pytest.mark.postgres
def test_unread_count_has_an_index_to_use(secretary_notified):
    # given the planner may not prefer sequential scans (tables are tiny in tests)
    query = Notification.objects.filter(recipient_id=secretary_notified.pk, unread=True).order_by().values("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then an index on the recipient (the library's (recipient, unread) one, or the foreign key's) serves it
    assert "Seq Scan" not in plan and "Index" in plan and "recipient_id" in plan, plan


def test_json_list_count_and_read_marks(client, secretary_notified, make_user, speaks):
    speaks(secretary_notified, "en")
    client.force_login(secretary_notified)
    # the unread count
    assert client.get(en_url("notify:unread_count")).json() == {"unread": 2}
    # the list, newest first, worded for the reader
    listing = client.get(en_url("notify:api_list")).json()
    assert [item["kind"] for item in listing["results"]] == ["request_info", "open"]
    assert listing["results"][0]["subject"].endswith("more information requested")
    # mark one read
    first = listing["results"][0]["id"]
    answer = client.post(en_url("notify:api_mark_read", args=[first]))
    assert answer.status_code == 200 and answer.json() == {"ok": True, "unread": 1}
    assert client.get(en_url("notify:api_list") + "?unread=1").json()["unread"] == 1
    # someone else's notification is not found, and nothing changes
    other = make_user("other")
    client.force_login(other)
    assert client.post(en_url("notify:api_mark_read", args=[first + 1])).status_code == 404
    assert Notification.objects.filter(recipient=secretary_notified, unread=True).count() == 1
    # mark all
    client.force_login(secretary_notified)
    assert client.post(en_url("notify:api_mark_all_read")).json() == {"ok": True, "marked": 1, "unread": 0}


def test_json_endpoints_want_a_signed_in_user_and_the_right_method(client):
    assert client.get(reverse("notify:unread_count")).status_code == 401
    assert client.get(reverse("notify:api_list")).json()["code"] == "not_authenticated"


def test_json_list_speaks_the_readers_language(client, secretary_notified, speaks):
    speaks(secretary_notified, "ar")
    client.force_login(secretary_notified)
    listing = client.get(en_url("notify:api_list", language="ar")).json()
    assert "مطلوب معلومات إضافية" in listing["results"][0]["subject"]


def test_html_list_and_mark_all(client, rf, secretary_notified, speaks):
    from notify import views

    # the list page (the portal's own page answers at the same address where it is installed)
    request = rf.get("/en/notifications/")
    request.user = secretary_notified
    with translation.override("en"):
        page = views.notification_list(request)
    assert page.status_code == 200
    assert b"more information requested" in page.content
    # mark all read
    speaks(secretary_notified, "en")
    client.force_login(secretary_notified)
    answer = client.post(en_url("notify:mark_all_read"))
    assert answer.status_code == 302
    assert selectors.unread_count(secretary_notified) == 0


def test_settings_page_saves_language_digest_and_channels(client, secretary_notified):
    client.force_login(secretary_notified)
    assert client.get(reverse("notify:preferences")).status_code == 200
    # when only "open" by email is kept on, with a daily digest at 17:00 in Arabic
    answer = client.post(
        reverse("notify:preferences"), {"language": "ar", "digest": "daily", "digest_hour": "17", "open:email": "on"}
    )
    # then
    assert answer.status_code == 302
    saved = UserSettings.objects.get(user=secretary_notified)
    assert (saved.language, saved.digest, saved.digest_hour) == ("ar", "daily", 17)
    opened = ChannelPreference.objects.get(user=secretary_notified, kind="open")
    assert (opened.in_app, opened.email) == (False, True)
    assert ChannelPreference.objects.get(user=secretary_notified, kind="submit").email is False


def test_settings_page_refuses_bad_input_and_changes_nothing(client, secretary_notified):
    client.force_login(secretary_notified)
    answer = client.post(reverse("notify:preferences"), {"language": "fr", "digest": "weekly", "digest_hour": "25"})
    assert answer.status_code == 400
    assert not UserSettings.objects.filter(user=secretary_notified).exists()
    assert not ChannelPreference.objects.filter(user=secretary_notified).exists()


def test_language_service_remembers_the_choice():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("reader", password="x")
    assert services.user_language_get(user) == ""
    services.user_language_set(user=user, language="ar")
    assert services.user_language_get(get_user_model().objects.get(pk=user.pk)) == "ar"
    with pytest.raises(ValidationError):
        services.user_language_set(user=user, language="fr")
    assert services.user_language_get(get_user_model().objects.get(pk=user.pk)) == "ar"


def test_channel_preference_refuses_unknown_kinds(make_user):
    with pytest.raises(ValidationError):
        services.channel_preference_set(user=make_user("x"), kind="nonsense", in_app=True, email=True)


def test_deliveries_page_is_for_the_secretariat(client, secretary_notified, settings, make_user):
    from partners.models import PlatformRole

    # given one email that failed for good
    row = OutboxMessage.objects.filter(channel="email").first()
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxMessage.Status.FAILED, attempts=5, last_error="SMTPRecipientsRefused: mailbox full"
    )
    # a person without a secretariat role may not look
    client.force_login(make_user("curious"))
    assert client.get(reverse("notify:outbox")).status_code == 403
    # the secretariat sees the failure and why
    PlatformRole.objects.create(user=secretary_notified, role=PlatformRole.Role.SECRETARIAT)
    client.force_login(secretary_notified)
    page = client.get(reverse("notify:outbox"))
    assert page.status_code == 200 and b"mailbox full" in page.content
    data = client.get(reverse("notify:outbox") + "?status=failed&format=json").json()
    assert [r["id"] for r in data["results"]] == [row.pk] and data["totals"]["failed"] == 1
