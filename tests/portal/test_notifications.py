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
    assert url("portal:request_detail", "en", reference=notification.data["reference"]) in page


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
