"""Opening a request: a guided form that creates the draft, then autosaves it as the user goes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

import engine
from engine.audit import RequestContext
from engine.errors import EngineError, InvalidInput
from partners.selectors import organizations, user_organizations
from workflows.partnership import services
from workflows.partnership.forms import RequestForm
from workflows.partnership.models import DialogueRequest
from workflows.partnership.services.requests import EDITABLE_FIELDS

from .. import presenters
from ..access import viewer
from ..forms import AttachmentForm, dress_request_form
from .requests import load

# What the guided form sends: the requesting organization, then what the requester may edit on a draft.
FIELDS = ("requesting_organization", *EDITABLE_FIELDS)


def _sent(request: HttpRequest) -> dict[str, Any]:
    """The request fields from the browser's form; the check boxes of counterparts as a list of ids."""
    data: dict[str, Any] = {name: request.POST.get(name, "") for name in FIELDS if name in request.POST}
    data["counterpart_organizations"] = [value for value in request.POST.getlist("counterpart_organizations") if value]
    return data


def _coordinated(request: HttpRequest) -> list[Any]:
    who = viewer(request)
    return [org for org in user_organizations(request.user) if org.pk in who.coordinated_ids]


def _counterpart_groups(own: list[Any], checked: set[int]) -> list[tuple[Any, list[tuple[Any, bool]]]]:
    """Organizations grouped by side, the other side first: the charter asks for a counterpart there."""
    own_ids = {org.pk for org in own}
    own_side = own[0].side if own else ""
    groups: dict[str, list[tuple[Any, bool]]] = {}
    labels: dict[str, Any] = {}
    for org in organizations():
        if org.kind == "secretariat" or org.pk in own_ids:
            continue
        groups.setdefault(org.side, []).append((org, org.pk in checked))
        labels[org.side] = org.get_side_display()
    order = sorted(groups, key=lambda side: side == own_side)
    return [(labels[side], groups[side]) for side in order]


def _form_context(request: HttpRequest, form: Any, checked: set[int], **extra: Any) -> dict[str, Any]:
    own = _coordinated(request)
    return {
        "form": form,
        "counterpart_groups": _counterpart_groups(own, checked),
        "counterpart_errors": form.errors.get("counterpart_organizations", []) if form.is_bound else [],
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    own = _coordinated(request)
    if not own:
        raise PermissionDenied(_("Only coordinators of member organizations can open a request."))
    if request.method == "POST":
        data = _sent(request)
        form = dress_request_form(RequestForm(data=data), own)
        form.is_valid()
        try:
            case = services.request_create(actor=request.user, data=data, context=RequestContext.from_request(request))
        except EngineError as error:
            _apply(form, error)
            context = _form_context(
                request,
                form,
                set(map(int, data["counterpart_organizations"] or [])),
                page_title=_("New request"),
                refusal=None if isinstance(error, InvalidInput) else error,
            )
            return render(request, "portal/drafts/create.html", context, status=400)
        messages.success(
            request,
            _("Your draft %(reference)s is saved. Complete it and submit it when ready.")
            % {"reference": case.reference},
        )
        return redirect("portal:request_edit", reference=case.reference)
    form = dress_request_form(RequestForm(initial={"requesting_organization": own[0].pk, "language": "both"}), own)
    return render(
        request, "portal/drafts/create.html", _form_context(request, form, set(), page_title=_("New request"))
    )


def _checked(data: dict[str, Any]) -> set[int]:
    ids = set()
    for value in data.get("counterpart_organizations") or []:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            continue
    return ids


def _apply(form: Any, error: EngineError) -> None:
    if isinstance(error, InvalidInput):
        for name, messages_ in error.errors.items():
            target = name if name in form.fields else None
            if target is not None and target in form.errors:
                continue
            for message in messages_:
                form.add_error(target, message)


def _draft_or_403(request: HttpRequest, reference: str) -> DialogueRequest:
    case = load(request, reference)
    if not engine.capabilities(case, request.user).can("update"):
        raise PermissionDenied(_("Only the requesting organization's coordinator may edit the draft."))
    return case


def _initial(case: DialogueRequest) -> dict[str, Any]:
    return {
        "requesting_organization": case.requesting_organization_id,
        "title": case.title,
        "summary": case.summary,
        "policy_question": case.policy_question,
        "theme": case.theme.code,
        "format": case.format,
        "period_start": case.period_start,
        "period_end": case.period_end,
        "expected_participants": case.expected_participants,
        "language": case.language,
    }


def _submit_readiness(case: DialogueRequest, user: Any) -> Any:
    options = [o for o in engine.available_transitions(case, user) if o.name == "submit"]
    return presenters.action_groups(options)


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """The draft's guided form; a plain POST saves it (the autosave does the same as the user types)."""
    case = _draft_or_403(request, reference)
    own = _coordinated(request)
    status = 200
    if request.method == "POST":
        data = _sent(request)
        form = dress_request_form(RequestForm(data=data), own)
        form.is_valid()
        try:
            case = services.request_update(
                request=case, actor=request.user, data=data, context=RequestContext.from_request(request)
            )
        except EngineError as error:
            _apply(form, error)
            status = 400
        else:
            messages.success(request, _("The draft is saved."))
            return redirect("portal:request_edit", reference=reference)
        checked = _checked(data)
    else:
        form = dress_request_form(RequestForm(initial=_initial(case)), own)
        checked = {org.pk for org in case.counterpart_organizations.all()}
    context = _form_context(
        request,
        form,
        checked,
        page_title=_("Edit the draft"),
        case=case,
        readiness=_submit_readiness(case, request.user),
        attachment_form=AttachmentForm(),
    )
    return render(request, "portal/drafts/edit.html", context, status=status)


@login_required
@require_POST
def request_autosave(request: HttpRequest, reference: str) -> HttpResponse:
    """htmx: save the draft as the user types; answer with the save status and the submit readiness."""
    case = _draft_or_403(request, reference)
    data = _sent(request)
    errors: dict[str, list[str]] = {}
    try:
        case = services.request_update(
            request=case, actor=request.user, data=data, context=RequestContext.from_request(request)
        )
    except InvalidInput as error:
        errors = error.errors
    except EngineError as error:
        errors = {"": [str(error.message)]}
    form = RequestForm()
    labels = {name: str(field.label) for name, field in form.fields.items()}
    context = {
        "case": case,
        "saved_at": None if errors else timezone.now(),
        "errors": [(labels.get(name, ""), messages_) for name, messages_ in errors.items()],
        "readiness": _submit_readiness(case, request.user),
    }
    if not request.htmx:
        # Sent without htmx (no JavaScript, or opened directly): back to the draft's page.
        return redirect("portal:request_edit", reference=case.reference)
    return render(request, "portal/drafts/_autosave.html", context, status=400 if errors else 200)
