"""The public transparency portal: published outcomes, follow-up progress, the audit checkpoint."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from engine.models import AuditCheckpoint


def checkpoint_summary() -> AuditCheckpoint | None:
    """The newest checkpoint without its (large) document: one chain head per case."""
    return AuditCheckpoint.objects.defer("document").order_by("-created_at", "-pk").first()


def transparency(request: HttpRequest) -> HttpResponse:
    context = {
        "page_title": _("Transparency portal"),
        "query": request.GET.get("q", "").strip()[:200],
        "outcomes": [],
        "checkpoint": checkpoint_summary(),
    }
    return render(request, "portal/transparency/index.html", context)


def checkpoint_download(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint as published: anyone may keep it and check it later."""
    from engine.checkpoint import latest_public_checkpoint

    document: dict[str, Any] | None = latest_public_checkpoint()
    if document is None:
        raise Http404(_("No signed checkpoint has been published yet."))
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-checkpoint-{document.get("digest", "")[:12]}.json"'
    return response
