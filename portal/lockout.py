"""What a locked-out sign-in sees, on every sign-in surface (django-axes' ``AXES_LOCKOUT_CALLABLE``).

The portal's form and the admin's get the sign-in page again with the reason; the API token endpoint
gets its JSON error shape with the stable code ``locked_out``. Both answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext

from .forms import SignInForm

LOCKED_OUT_STATUS = 429


def lockout_wait_seconds(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if isinstance(cool_off, timedelta) else 0


def lockout_message(request: HttpRequest) -> str:
    seconds = lockout_wait_seconds(request)
    if not seconds:
        return gettext("Too many failed sign-in attempts. Ask the secretariat to unlock the account.")
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute, or ask the secretariat to unlock "
        "the account.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes, or ask the secretariat to unlock "
        "the account.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    message = lockout_message(request)
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"code": "locked_out", "message": message},
            status=LOCKED_OUT_STATUS,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        username = (credentials or {}).get("username") or ""
        form = SignInForm(request, initial={"username": username if isinstance(username, str) else ""})
        context = {"form": form, "page_title": gettext("Sign in"), "locked_out_message": message}
        response = render(request, "portal/sign_in.html", context, status=LOCKED_OUT_STATUS)
    seconds = lockout_wait_seconds(request)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
