"""The public transparency portal: published outcomes, follow-up progress, the audit checkpoint."""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from engine.models import AuditCheckpoint
from textsearch import index as textsearch
from workflows.partnership.selectors import published_outcomes, themes


def checkpoint_summary() -> AuditCheckpoint | None:
    """The newest checkpoint without its (large) document: one chain head per case."""
    return AuditCheckpoint.objects.defer("document").order_by("-created_at", "-pk").first()


def _progress(case: Any) -> dict[str, int]:
    items = list(case.action_items.all())
    settled = sum(1 for item in items if item.status in ("done", "dropped"))
    done = sum(1 for item in items if item.status == "done")
    return {
        "total": len(items),
        "done": done,
        "settled": settled,
        "percent": round(100 * settled / len(items)) if items else 100,
    }


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    theme = request.GET.get("theme", "").strip()[:40]
    outcomes = published_outcomes()
    if query:
        # Arabic-normalized full text over the request and its public outcome (textsearch).
        outcomes = textsearch.search(outcomes, query)
    if theme:
        outcomes = outcomes.filter(theme__code=theme)
    page = Paginator(outcomes, 10).get_page(request.GET.get("page"))
    for case in page:
        case.progress = _progress(case)
    query_string = "&".join(part for part in (f"q={query}" if query else "", f"theme={theme}" if theme else "") if part)
    context = {
        "page_title": _("Transparency portal"),
        "query": query,
        "theme": theme,
        "themes": list(themes()),
        "page": page,
        "query_string": query_string,
        "checkpoint": checkpoint_summary(),
    }
    template = "portal/transparency/_results.html" if request.htmx else "portal/transparency/index.html"
    return render(request, template, context)


@require_GET
def transparency_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = published_outcomes().filter(reference=reference).first()
    if case is None:
        raise Http404(_("No published outcome has this reference."))
    case.progress = _progress(case)
    context = {"page_title": case.title, "case": case, "outcome": case.outcome}
    return render(request, "portal/transparency/detail.html", context)


@require_GET
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
