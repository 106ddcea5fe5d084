"""Small pages and JSON endpoints: the notification list, the unread count, read marks, settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engine.models import OutboxMessage

from . import selectors, services
from .messages import message_for
from .models import UserSettings
from .routing import BOTH, default_channels, kinds


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.GET.get("format") == "json" or ("application/json" in accept and "text/html" not in accept)


def _back(request: HttpRequest, fallback: str = "notify:list") -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _json_login_required(view: Any) -> Any:
    """JSON endpoints answer 401 with a code instead of redirecting to the sign-in page."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"code": "not_authenticated", "message": _("Sign in first.")}, status=401)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _list_json(request: HttpRequest) -> JsonResponse:
    unread_only = request.GET.get("unread") in {"1", "true", "yes"}
    items = selectors.notification_list(request.user, unread_only=unread_only)
    return JsonResponse({"unread": selectors.unread_count(request.user), "results": [item.as_dict() for item in items]})


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return _list_json(request)
    unread_only = request.GET.get("unread") in {"1", "true", "yes"}
    items = selectors.notification_list(request.user, unread_only=unread_only)
    context = {
        "items": items,
        "unread": selectors.unread_count(request.user),
        "unread_only": unread_only,
        "page_title": _("Notifications"),
    }
    return render(request, "notify/list.html", context)


@_json_login_required
@require_GET
def notification_list_json(request: HttpRequest) -> HttpResponse:
    """The latest notifications, worded in the request's language; ``?unread=1`` for unread only."""
    return _list_json(request)


@_json_login_required
@require_GET
def unread_count(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"unread": selectors.unread_count(request.user)})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.notification_mark_read(user=request.user, notification_id=pk):
        messages.error(request, _("No such notification."))
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return _back(request)


@_json_login_required
@require_POST
def mark_read_json(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.notification_mark_read(user=request.user, notification_id=pk):
        return JsonResponse({"code": "not_found", "message": _("No such notification.")}, status=404)
    return JsonResponse({"ok": True, "unread": selectors.unread_count(request.user)})


@_json_login_required
@require_POST
def mark_all_read_json(request: HttpRequest) -> HttpResponse:
    changed = services.notification_mark_all_read(user=request.user)
    return JsonResponse({"ok": True, "marked": changed, "unread": selectors.unread_count(request.user)})


def _preference_rows(user: Any) -> list[dict[str, Any]]:
    chosen = {p.kind: p for p in user.notify_preferences.all()}
    rows = []
    for kind in kinds():
        defaults = default_channels(kind)
        preference = chosen.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": message_for(kind).label,
                "in_app": preference.in_app if preference else "in_app" in defaults,
                "email": preference.email if preference else "email" in defaults,
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = services.user_settings_get(user)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            hour_text = request.POST.get("digest_hour", "").strip()
            digest_hour = int(hour_text) if hour_text.isdigit() else (current.digest_hour if not hour_text else -1)
            services.user_settings_update(
                user=user,
                language=request.POST.get("language", current.language),
                digest=request.POST.get("digest", current.digest),
                digest_hour=digest_hour,
            )
            for kind in kinds():
                services.channel_preference_set(
                    user=user,
                    kind=kind,
                    in_app=f"{kind}:in_app" in request.POST,
                    email=f"{kind}:email" in request.POST,
                )
        except ValidationError as exc:
            errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notify:preferences")
    return render(
        request,
        "notify/preferences.html",
        {
            "settings_obj": current,
            "rows": _preference_rows(user),
            "digest_choices": UserSettings.Digest.choices,
            "hours": range(24),
            "channels": BOTH,
            "errors": errors,
            "page_title": _("Notification settings"),
        },
        status=400 if errors else 200,
    )


def can_see_outbox(user: Any) -> bool:
    """Secretariat staff (or administrators) may see delivery problems."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.has_perm("engine.view_outboxmessage"):
        return True
    roles = getattr(user, "platform_roles", None)
    return bool(roles is not None and roles.filter(role__in=["secretariat", "secretariat_lead"]).exists())


@login_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    if not can_see_outbox(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "")
    if status not in {"", OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING}:
        status = ""
    rows = list(selectors.outbox_problems(status=status))
    totals = selectors.outbox_totals()
    if _wants_json(request):
        return JsonResponse(
            {
                "totals": totals,
                "results": [
                    {
                        "id": row.pk,
                        "event": row.event,
                        "case": row.case_reference,
                        "recipient": row.recipient.get_username() if row.recipient else "",
                        "channel": row.channel,
                        "status": row.status,
                        "attempts": row.attempts,
                        "last_error": row.last_error,
                        "created_at": row.created_at.isoformat(),
                    }
                    for row in rows
                ],
            }
        )
    return render(
        request,
        "notify/outbox.html",
        {"rows": rows, "totals": totals, "status": status, "page_title": _("Notification deliveries")},
    )
