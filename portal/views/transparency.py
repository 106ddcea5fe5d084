"""The public transparency portal: published outcomes, follow-up progress, the audit checkpoint."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


def latest_checkpoint() -> Any:
    """The latest signed audit checkpoint, or None before the audit engine publishes any."""
    try:
        from engine.checkpoint import latest_public_checkpoint
    except ImportError:
        return None
    return latest_public_checkpoint()


def transparency(request: HttpRequest) -> HttpResponse:
    context = {
        "page_title": _("Transparency portal"),
        "query": request.GET.get("q", "").strip()[:200],
        "outcomes": [],
        "checkpoint": latest_checkpoint(),
    }
    return render(request, "portal/transparency/index.html", context)
