"""The home page: a landing page for visitors, a workspace for each role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ..access import viewer


def home(request: HttpRequest) -> HttpResponse:
    who = viewer(request)
    if not who.is_signed_in:
        return render(request, "portal/landing.html", {"page_title": _("Welcome")})
    return render(request, "portal/home.html", {"page_title": _("My workspace"), "viewer": who})
