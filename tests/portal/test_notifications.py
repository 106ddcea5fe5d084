from __future__ import annotations

import pytest
from notifications.models import Notification

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def notified(world, django_capture_on_commit_callbacks):
    """The secretariat has in-app notifications about a submitted request."""
    with django_capture_on_commit_callbacks(execute=True):
        walk(world, draft(world), "submitted")
    assert Notification.objects.filter(recipient=world.secretariat, unread=True).exists()
    return world.secretariat


def test_the_bell_shows_the_unread_count(client, notified):
    client.force_login(notified)
    unread = Notification.objects.filter(recipient=notified, unread=True).count()
    fragment = client.get(url("portal:notifications_bell", "en"), headers=HTMX).content.decode()
    assert f">{unread}<" in fragment and "unread notification" in fragment


def test_the_list_links_each_notification_to_its_request(client, notified):
    client.force_login(notified)
    page = client.get(url("portal:notifications", "en")).content.decode()
    notification = Notification.objects.filter(recipient=notified).first()
    assert notification.data["reference"] in page
    # the link opens the request through the notification (which marks it read on the way)
    assert url("portal:notification_open", "en", pk=notification.pk) in page


def test_marking_one_read_with_htmx_swaps_the_item_and_refreshes_the_bell(client, notified):
    client.force_login(notified)
    notification = Notification.objects.filter(recipient=notified, unread=True).first()
    response = client.post(url("portal:notification_read", "en", pk=notification.pk), headers=HTMX)
    assert response.status_code == 200 and response["HX-Trigger"] == "notificationsChanged"
    notification.refresh_from_db()
    assert notification.unread is False


def test_nobody_marks_someone_elses_notification(client, notified, world):
    notification = Notification.objects.filter(recipient=notified, unread=True).first()
    client.force_login(world.cso_coordinator)
    assert client.post(url("portal:notification_read", "en", pk=notification.pk)).status_code == 404
    notification.refresh_from_db()
    assert notification.unread is True


def test_mark_all_read(client, notified):
    client.force_login(notified)
    response = client.post(url("portal:notifications_read_all", "en"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=notified, unread=True).exists()


def test_preferences_save_language_digest_and_channels(client, world):
    from notify.models import ChannelPreference, UserSettings

    user = world.cso_coordinator
    client.force_login(user)
    page = client.get(url("portal:preferences", "en")).content.decode()
    assert "request_info__email" in page
    data = {
        "settings-language": "ar",
        "settings-digest": "daily",
        "settings-digest_hour": "8",
        "channels-request_info__in_app": "on",
    }
    response = client.post(url("portal:preferences", "en"), data)
    assert response.status_code == 302
    settings = UserSettings.objects.get(user=user)
    assert (settings.language, settings.digest, settings.digest_hour) == ("ar", "daily", 8)
    preference = ChannelPreference.objects.get(user=user, kind="request_info")
    assert (preference.in_app, preference.email) == (True, False)
    # the saved language now serves every page
    assert client.get(url("portal:home", "en"))["Location"] == url("portal:home", "ar")


def test_bad_preferences_are_refused_with_a_message(client, world):
    from notify.models import UserSettings

    client.force_login(world.cso_coordinator)
    response = client.post(
        url("portal:preferences", "en"),
        {"settings-language": "fr", "settings-digest": "weekly", "settings-digest_hour": "25"},
    )
    assert response.status_code == 400
    assert not UserSettings.objects.filter(user=world.cso_coordinator).exists()


def test_notification_pages_need_a_signed_in_user(client):
    for name in ("portal:notifications", "portal:notifications_bell", "portal:preferences"):
        assert client.get(url(name, "en")).status_code == 302


def _many(user, how_many: int, *, reference: str = "") -> list[Notification]:
    """``how_many`` in-app notifications for ``user``, oldest first (numbered in their subject data)."""
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    kind = ContentType.objects.get_for_model(type(user))
    start = timezone.now() - dt.timedelta(days=1)
    notes = [
        Notification(
            recipient=user,
            actor_content_type=kind,
            actor_object_id=str(user.pk),
            verb="submit",
            unread=True,
            timestamp=start + dt.timedelta(minutes=number),
            data={"kind": "submit", "reference": reference, "payload": {"title": f"Request number {number}"}},
        )
        for number in range(how_many)
    ]
    return Notification.objects.bulk_create(notes)


def test_the_list_pages_beyond_fifty(client, world):
    # given: 120 notifications
    _many(world.secretariat, 120)
    client.force_login(world.secretariat)
    # when: the third page is opened
    first = client.get(url("portal:notifications", "en")).content.decode()
    third = client.get(url("portal:notifications", "en"), {"page": 3}).content.decode()
    # then: 50, 50 and the 20 oldest, with the pager saying where the reader is
    assert first.count("list-group-item d-flex") == 50 and "Page 1 of 3" in first
    assert third.count("list-group-item d-flex") == 20 and "Page 3 of 3" in third
    assert "Request number 119" in first and "Request number 0" in third and "Request number 119" not in third
    # and: a page number out of range shows the last page rather than an error
    assert client.get(url("portal:notifications", "en"), {"page": 99}).status_code == 200


def test_opening_a_notification_marks_it_read_and_lands_on_its_request(client, notified):
    client.force_login(notified)
    note = Notification.objects.filter(recipient=notified, unread=True).first()
    page = client.get(url("portal:notifications", "en")).content.decode()
    opener = url("portal:notification_open", "en", pk=note.pk)
    assert f'href="{opener}"' in page
    # when
    answer = client.get(opener)
    # then
    assert answer.status_code == 302
    assert answer["Location"] == url("portal:request_detail", "en", reference=note.data["reference"])
    note.refresh_from_db()
    assert note.unread is False


def test_a_link_on_another_site_does_not_mark_a_notification_read(client, notified):
    client.force_login(notified)
    note = Notification.objects.filter(recipient=notified, unread=True).first()
    opener = url("portal:notification_open", "en", pk=note.pk)
    # a browser following a link planted on another site says so
    answer = client.get(opener, headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 302  # the reader still lands on the request
    note.refresh_from_db()
    assert note.unread is True
    # the same click from the platform's own page marks it read
    client.get(opener, headers={"Sec-Fetch-Site": "same-origin"})
    note.refresh_from_db()
    assert note.unread is False


def test_nobody_opens_someone_elses_notification(client, notified, world):
    note = Notification.objects.filter(recipient=notified, unread=True).first()
    client.force_login(world.auditor)
    assert client.get(url("portal:notification_open", "en", pk=note.pk)).status_code == 404
    note.refresh_from_db()
    assert note.unread is True
