"""Portal pages of the outcome register, the recommendations, and their public side (transparency, open data).

The flows decide who may see and do what (``can_view``, ``engine.capabilities``); these views only ask.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import engine
from engine.audit import RequestContext
from engine.errors import EngineError, InvalidInput, NotPermitted
from partners.models import Theme
from portal import action_forms

from . import public, selectors, services
from .flows import OutcomeFlow, RecommendationFlow
from .forms import EvidenceForm, HarvestForm
from .models import HarvestedOutcome, Recommendation

STATUS_FOR_ERROR = {InvalidInput: 400, NotPermitted: 403}


def _status(error: EngineError) -> int:
    return next((status for kind, status in STATUS_FOR_ERROR.items() if isinstance(error, kind)), 409)


def _apply_errors(form: Any, error: EngineError) -> None:
    if isinstance(error, InvalidInput) and form is not None:
        for name, texts in error.errors.items():
            target = name if name in form.fields else None
            if target is not None and target in form.errors:
                continue
            for text in texts:
                form.add_error(target, text)


def _outcome(request: HttpRequest, reference: str) -> HarvestedOutcome:
    case = selectors.visible_outcomes(request.user).filter(reference=reference).first()
    if case is None:
        raise Http404(_("No such outcome, or it is not visible to you."))
    return case


def _recommendation(request: HttpRequest, reference: str) -> Recommendation:
    case = selectors.visible_recommendations(request.user).filter(reference=reference).first()
    if case is None:
        raise Http404(_("No such recommendation, or it is not visible to you."))
    return case


def _unit_forms(case: Any, user: Any, flow: Any, *, failed: str = "", bound: Any = None) -> list[dict[str, Any]]:
    """The transitions this person may run now, each with its form (the failed one bound, with errors)."""
    caps = engine.capabilities(case, user)
    units = []
    for spec in [*flow.specs().values(), *flow.actions().values()]:
        if spec.name in ("update", "evidence_added") or not caps.can(spec.name) or spec.system:
            continue
        form = bound if spec.name == failed else action_forms.build(spec, case)
        if form is not None and hasattr(form, "bind_flow"):
            form.bind_flow(flow(case, user))  # choices limited to the case (its own follow-up actions)
        units.append({"spec": spec, "form": form})
    return units


# --- the register ---------------------------------------------------------------------------------


@require_GET
def register(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "").strip()[:20]
    change_type = request.GET.get("type", "").strip()[:20]
    theme = request.GET.get("theme", "").strip()[:40]
    outcomes = selectors.visible_outcomes(request.user)
    if state:
        outcomes = outcomes.filter(state=state)
    if change_type:
        outcomes = outcomes.filter(change_type=change_type)
    if theme:
        outcomes = outcomes.filter(theme__code=theme)
    page = Paginator(outcomes.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    context = {
        "page_title": _("Outcome register"),
        "page": page,
        "state": state,
        "change_type": change_type,
        "theme": theme,
        "states": list(OutcomeFlow.state_labels.items()),
        "change_types": HarvestedOutcome.ChangeType.choices,
        "themes": list(Theme.objects.order_by("ordering", "code")),
        "may_harvest": selectors.may_harvest(request.user),
        "state_labels": OutcomeFlow.state_labels,
    }
    return render(request, "outcomes/register.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def harvest(request: HttpRequest) -> HttpResponse:
    if not selectors.may_harvest(request.user):
        raise Http404(_("There is no dialogue you may harvest outcomes from."))
    form = HarvestForm(user=request.user, initial={"requests": request.GET.getlist("request")})
    status = 200
    if request.method == "POST":
        form = HarvestForm(data=request.POST, user=request.user)
        try:
            outcome = services.outcome_harvest(
                actor=request.user, data=request.POST, context=RequestContext.from_request(request)
            )
        except EngineError as error:
            form.is_valid()
            _apply_errors(form, error)
            status = _status(error)
        else:
            messages.success(request, _("Outcome harvested: %(reference)s.") % {"reference": outcome.reference})
            return redirect("outcomes:detail", reference=outcome.reference)
    return render(
        request, "outcomes/harvest.html", {"page_title": _("Harvest an outcome"), "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, reference: str) -> HttpResponse:
    outcome = _outcome(request, reference)
    if not engine.capabilities(outcome, request.user).can("update"):
        raise Http404(_("This outcome cannot be edited."))
    initial = {
        **{name: getattr(outcome, name) for name in services.FIELDS},
        "theme": outcome.theme.code,
        "requests": [r.reference for r in outcome.requests.all()],
        "recommendations": [r.reference for r in outcome.recommendations.all()],
        "evidence_links": "\n".join(outcome.evidence_links or []),
    }
    form = HarvestForm(user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        form = HarvestForm(data=request.POST, user=request.user)
        try:
            services.outcome_update(
                outcome, actor=request.user, data=request.POST, context=RequestContext.from_request(request)
            )
        except EngineError as error:
            form.is_valid()
            _apply_errors(form, error)
            status = _status(error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("outcomes:detail", reference=reference)
    context = {"page_title": _("Edit the outcome"), "form": form, "outcome": outcome}
    return render(request, "outcomes/harvest.html", context, status=status)


def _detail_page(request: HttpRequest, outcome: HarvestedOutcome, *, status: int = 200, **extra: Any) -> HttpResponse:
    caps = engine.capabilities(outcome, request.user)
    context = {
        "page_title": outcome.title,
        "outcome": outcome,
        "state_label": OutcomeFlow.state_labels.get(outcome.state, outcome.state),
        "units": _unit_forms(
            outcome, request.user, OutcomeFlow, failed=extra.pop("failed", ""), bound=extra.pop("bound", None)
        ),
        "may_edit": caps.can("update"),
        "may_add_evidence": caps.can("evidence_added"),
        "evidence_form": extra.pop("evidence_form", None) or EvidenceForm(),
        "requests": [r for r in outcome.requests.all()],
        "recommendations": list(outcome.recommendations.all()),
        "evidence": list(outcome.evidence_documents.all()),
        **extra,
    }
    return render(request, "outcomes/detail.html", context, status=status)


@require_GET
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail_page(request, _outcome(request, reference))


@login_required
@require_POST
def run_unit(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    outcome = _outcome(request, reference)
    spec = OutcomeFlow.spec(name)
    if spec is None or spec.system:
        raise Http404(_("No such action."))
    form = action_forms.build(spec, outcome, data=request.POST)
    try:
        engine.run(
            outcome,
            name,
            actor=request.user,
            data=request.POST,
            expected_version=_version(request),
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        if form is not None:
            form.is_valid()
            _apply_errors(form, error)
        return _detail_page(request, outcome, status=_status(error), refusal=error, failed=name, bound=form)
    messages.success(request, _("Done: %(action)s.") % {"action": spec.label})
    return redirect("outcomes:detail", reference=reference)


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def evidence_upload(request: HttpRequest, reference: str) -> HttpResponse:
    outcome = _outcome(request, reference)
    form = EvidenceForm(request.POST, request.FILES)
    try:
        services.evidence_add(
            outcome,
            actor=request.user,
            file=request.FILES.get("file"),
            description=request.POST.get("description", ""),
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        form.is_valid()
        _apply_errors(form, error)
        return _detail_page(request, outcome, status=_status(error), refusal=error, evidence_form=form)
    messages.success(request, _("Evidence added."))
    return redirect("outcomes:detail", reference=reference)


@require_GET
def evidence_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    outcome = _outcome(request, reference)
    evidence = outcome.evidence_documents.filter(pk=pk).first()
    if evidence is None:
        raise Http404(_("No such document."))
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


# --- recommendations -----------------------------------------------------------------------------


def _recommendation_page(
    request: HttpRequest, item: Recommendation, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "page_title": item.reference,
        "item": item,
        "status_label": RecommendationFlow.state_labels.get(item.state, item.state),
        "units": _unit_forms(
            item, request.user, RecommendationFlow, failed=extra.pop("failed", ""), bound=extra.pop("bound", None)
        ),
        "notes": list(item.progress_notes.all()),
        "outcomes": [
            o for o in item.outcomes.all() if selectors.visible_outcomes(request.user).filter(pk=o.pk).exists()
        ],
        "action_items": list(item.action_items.all()),
        **extra,
    }
    return render(request, "outcomes/recommendation.html", context, status=status)


@require_GET
def recommendation_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _recommendation_page(request, _recommendation(request, reference))


@login_required
@require_POST
def recommendation_unit(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    item = _recommendation(request, reference)
    spec = RecommendationFlow.unit(name)
    if spec is None or spec.system:
        raise Http404(_("No such action."))
    form = action_forms.build(spec, item, data=request.POST)
    if form is not None and hasattr(form, "bind_flow"):
        form.bind_flow(RecommendationFlow(item, request.user))
    try:
        engine.run(item, name, actor=request.user, data=request.POST, context=RequestContext.from_request(request))
    except EngineError as error:
        if form is not None:
            form.is_valid()
            _apply_errors(form, error)
        return _recommendation_page(request, item, status=_status(error), refusal=error, failed=name, bound=form)
    messages.success(request, _("Done: %(action)s.") % {"action": spec.label})
    return redirect("outcomes:recommendation", reference=reference)


# --- the public side -----------------------------------------------------------------------------


@require_GET
def public_results(request: HttpRequest) -> HttpResponse:
    """Published harvested outcomes (restricted ones by their public summary) and recommendations' progress."""
    outcomes = Paginator(selectors.published_outcomes(), 20).get_page(request.GET.get("page"))
    recommendations = list(selectors.public_recommendations())
    for item in recommendations:
        notes = list(item.progress_notes.all())
        item.latest_note = notes[-1] if notes else None
    context = {
        "page_title": _("Results of the dialogues"),
        "outcomes": outcomes,
        "recommendations": recommendations,
        "state_labels": RecommendationFlow.state_labels,
        "datasets": list(public.DATASETS),
    }
    return render(request, "outcomes/public.html", context)


@require_GET
def open_data(request: HttpRequest, dataset: str, extension: str) -> HttpResponse:
    """CSV or JSON of a public dataset at a stable URL (schema: docs/open-data.md)."""
    if dataset not in public.DATASETS or extension not in ("csv", "json"):
        raise Http404(_("No such dataset."))
    fields, rows = public.DATASETS[dataset]
    data = rows()
    if extension == "json":
        body = json.dumps({"dataset": dataset, "fields": fields, "count": len(data), "rows": data}, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        for row in data:
            writer.writerow(
                {name: "|".join(value) if isinstance(value, list) else value for name, value in row.items()}
            )
        # A byte-order mark so spreadsheet programs read the Arabic text as UTF-8.
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{dataset}.{extension}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response
