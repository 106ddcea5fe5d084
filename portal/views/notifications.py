"""In-app notifications (the bell, the list, read marks) and each person's notification preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..forms import ChannelPreferencesForm, UserSettingsForm

PAGE_SIZE = 50


def _items(user: Any, limit: int = PAGE_SIZE, offset: int = 0) -> list[Any]:
    """The person's notifications, newest first, worded in the reader's language (notify's selector)."""
    from notify.selectors import notification_list

    items = notification_list(user, limit=limit, offset=offset)
    for item in items:
        _link(item)
    return items


def _link(item: Any) -> Any:
    """Where the notification leads (its request page, or the URL it carries), and the way there.

    The way there (``open_url``) marks it read on the way: opening a notification is reading it.
    """
    item.link = _request_url(item.reference) or item.url or None
    item.open_url = reverse("portal:notification_open", kwargs={"pk": item.id}) if item.link else None
    return item


class _Pages:
    """The person's notifications as a sequence the paginator can count and slice (one query a page)."""

    def __init__(self, user: Any) -> None:
        self.user = user

    def count(self) -> int:
        from notify.selectors import notification_count

        return notification_count(self.user)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Any]:
        start = window.start or 0
        return _items(self.user, limit=(window.stop or start + PAGE_SIZE) - start, offset=start)


def _request_url(reference: str) -> str | None:
    if not reference:
        return None
    try:
        return reverse("portal:request_detail", kwargs={"reference": reference})
    except NoReverseMatch:
        return None


@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The bell's unread count, polled by htmx (opened directly, it is the notifications page)."""
    from notify.selectors import unread_count

    if not request.htmx:
        return redirect("portal:notifications")
    return render(request, "portal/partials/bell.html", {"unread": unread_count(request.user)})


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    from notify.selectors import unread_count

    page = Paginator(_Pages(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_title": _("Notifications"),
        "page": page,
        "items": list(page),
        "unread": unread_count(request.user),
    }
    return render(request, "portal/notifications/list.html", context)


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link: it is marked read, then the reader lands where it points.

    A GET that changes something: only a click from this site's own pages marks it read (browsers say
    where a navigation came from in ``Sec-Fetch-Site``); a link on another site only redirects.
    """
    from notify.selectors import notification_get
    from notify.services import notification_mark_read

    item = notification_get(request.user, pk)
    if item is None:
        raise Http404(_("No such notification."))
    if request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none"):
        notification_mark_read(user=request.user, notification_id=pk)
    target = _link(item).link
    safe = target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return redirect(target if safe else "portal:notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    from notify.services import notification_mark_read

    if not notification_mark_read(user=request.user, notification_id=pk):
        raise Http404(_("No such notification."))
    if request.htmx:
        from notify.selectors import notification_get

        item = notification_get(request.user, pk)
        item = _link(item) if item is not None else None
        response = render(request, "portal/notifications/item.html", {"item": item}) if item else HttpResponse("")
        # The bell listens for this event and refreshes its count.
        response["HX-Trigger"] = "notificationsChanged"
        return response
    return redirect("portal:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    from notify.services import notification_mark_all_read

    changed = notification_mark_all_read(user=request.user)
    messages.success(request, _("All notifications are marked as read.") if changed else _("Nothing was unread."))
    return redirect("portal:notifications")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    from notify import services
    from notify.routing import kinds

    user_settings = services.user_settings_get(request.user)
    current = _current_channels(request.user, kinds())
    if request.method == "POST":
        settings_form = UserSettingsForm(request.POST, prefix="settings")
        channels_form = ChannelPreferencesForm(request.POST, prefix="channels", kinds=kinds(), current=current)
        if settings_form.is_valid() and channels_form.is_valid():
            try:
                services.user_settings_update(user=request.user, **settings_form.cleaned_data)
                for kind, (in_app, email) in channels_form.choices().items():
                    if current.get(kind) != (in_app, email):
                        services.channel_preference_set(user=request.user, kind=kind, in_app=in_app, email=email)
            except ValidationError as error:
                settings_form.add_error(None, error)
            else:
                messages.success(request, _("Your preferences are saved."))
                # A new language takes effect on the next page view (the language middleware).
                return redirect("portal:preferences")
        status = 400
    else:
        settings_form = UserSettingsForm(
            prefix="settings",
            initial={
                "language": user_settings.language,
                "digest": user_settings.digest,
                "digest_hour": user_settings.digest_hour,
            },
        )
        channels_form = ChannelPreferencesForm(prefix="channels", kinds=kinds(), current=current)
        status = 200
    context = {
        "page_title": _("Notification preferences"),
        "settings_form": settings_form,
        "channels_form": channels_form,
    }
    return render(request, "portal/notifications/preferences.html", context, status=status)


def _current_channels(user: Any, all_kinds: list[str]) -> dict[str, tuple[bool, bool]]:
    from notify.models import ChannelPreference
    from notify.routing import IN_APP, default_channels

    chosen = {pref.kind: (pref.in_app, pref.email) for pref in ChannelPreference.objects.filter(user=user)}
    result = {}
    for kind in all_kinds:
        if kind in chosen:
            result[kind] = chosen[kind]
        else:
            defaults = default_channels(kind)
            result[kind] = (IN_APP in defaults, "email" in defaults)
    return result
