"""The request page and everything done from it: transitions, votes, documents, follow-up.

Each view parses input, calls the domain's service, and renders the result or the reasons it was
refused; the rules live in the flow and the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import engine
from engine.audit import RequestContext
from engine.errors import ConcurrentChange, EngineError, GuardFailed, InvalidInput, NotPermitted
from workflows.partnership import committee, selectors, services, sessions
from workflows.partnership.flows import current_meeting
from workflows.partnership.forms import secretariat_officers
from workflows.partnership.models import ActionItem, DialogueRequest

from .. import action_forms, presenters
from ..access import viewer
from ..forms import ActionItemForm, ActionProgressForm, AttachmentForm, ConflictForm, VoteForm

STATUS_FOR_ERROR = {InvalidInput: 400, NotPermitted: 403, GuardFailed: 409, ConcurrentChange: 409}


def _form_template(name: str) -> str:
    """A transition's own form layout when it has one (the outcome editor), else the generic one."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    specific = f"portal/requests/forms/{name}.html"
    try:
        get_template(specific)
    except TemplateDoesNotExist:
        return "portal/requests/forms/generic.html"
    return specific


def _status(error: EngineError) -> int:
    for kind, status in STATUS_FOR_ERROR.items():
        if isinstance(error, kind):
            return status
    return 409


def load(request: HttpRequest, reference: str) -> DialogueRequest:
    """The request with everything its page shows, if the user may see it (404 otherwise)."""
    try:
        return selectors.request_detail(reference, request.user)
    except DialogueRequest.DoesNotExist:
        raise Http404(_("No such request, or it is not visible to you.")) from None


def load_light(request: HttpRequest, reference: str) -> DialogueRequest:
    """Just the request (with its parties), if the user may see it: enough to act on it."""
    try:
        return selectors.visible_requests(request.user).get(reference=reference)
    except DialogueRequest.DoesNotExist:
        raise Http404(_("No such request, or it is not visible to you.")) from None


def _apply_errors(form: Any, error: EngineError) -> None:
    """Show the engine's or service's refusal on the form: field errors in place, reasons on top."""
    if isinstance(error, InvalidInput):
        for name, messages_ in error.errors.items():
            target = name if name in form.fields else None
            if target is not None and target in form.errors:
                continue  # the form already explains what is wrong with this field
            for message in messages_:
                form.add_error(target, message)


#: the flow's reasons that are about one field of the form that sent it (shown at that field)
REASON_FIELDS = {"due_date_past": "due_date"}


def _on_fields(form: Any, error: EngineError) -> bool:
    """Put the refusal's reasons on their fields when every one is about a field of ``form``."""
    reasons = list(getattr(error, "reasons", None) or [])
    if not reasons or not all(REASON_FIELDS.get(reason.code) in form.fields for reason in reasons):
        return False
    for reason in reasons:
        form.add_error(REASON_FIELDS[reason.code], reason.text())
    return True


def page_context(request: HttpRequest, case: DialogueRequest, **extra: Any) -> dict[str, Any]:
    who = viewer(request)
    # What this person may do and read here: asked once, of the flow (no rule is restated in the view).
    caps = engine.capabilities(case, request.user)
    meeting = current_meeting_from(case)
    outcome = getattr(case, "outcome", None) if _has_outcome(case) else None
    show_outcome = outcome is not None and selectors.outcome_visible_to(case, request.user)
    # Reading a restricted outcome is audited, so it opens on request rather than with the page.
    restricted = show_outcome and outcome.visibility == "restricted"
    tally = (
        committee.tally(case) if case.state in ("in_committee", "approved", "rejected") or case.votes.all() else None
    )
    own_conflict = next((item for item in case.conflicts.all() if item.member_id == request.user.pk), None)
    minutes = selectors.minutes_rounds([case]).get(case.pk)
    context = {
        "page_title": f"{case.reference} · {case.title}",
        "attention": presenters.attention(
            case,
            caps,
            tally=tally,
            own_conflict=own_conflict,
            waiting=selectors.waiting_reason(case, request.user),
            minutes=minutes,
        ),
        "minutes_round": minutes,
        "case": case,
        "viewer": who,
        "state_label": presenters.state_label(case),
        "actions": presenters.name_waiting_parties(presenters.action_groups(caps.transitions), minutes),
        "timeline": presenters.timeline(case, case.history, capabilities=caps),
        "clocks": [_clock_row(case, clock, minutes) for clock in case.sla_clocks],
        "meeting": meeting,
        "meetings": list(case.meetings.all()),
        "sessions": _session_rows(case, caps),
        "outcome": outcome if show_outcome and not restricted else None,
        "outcome_restricted": restricted,
        "outcome_hidden": outcome is not None and not show_outcome,
        "tally": tally,
        "votes": list(case.votes.all()) if caps.may_read_event("vote_cast") else [],
        "may_read_votes": caps.may_read_event("vote_cast"),
        "may_read_conflicts": caps.may_read_event("conflict_declared"),
        "vote_form": extra.pop("vote_form", None) or (VoteForm() if caps.can("vote_cast") else None),
        "conflict_form": extra.pop("conflict_form", None) or ConflictForm(),
        "may_declare_conflict": caps.can("conflict_declared"),
        "attachment_form": extra.pop("attachment_form", None) or AttachmentForm(),
        "action_item_form": extra.pop("action_item_form", None)
        or (ActionItemForm(organizations=_parties(case)) if caps.can("action_item_created") else None),
        "progress_forms": _progress_forms(case, caps, extra.pop("progress_form", None)),
        "may_attach": caps.can("document_added"),
        "counterparts": list(case.counterpart_organizations.all()),
        # the queue's assignment (the flow's ``assigned`` unit): who handles it, and the choice of officers
        "may_assign": caps.can("assigned"),
        "officers": list(secretariat_officers()) if caps.can("assigned") else [],
    }
    context.update(extra)
    return context


def _has_outcome(case: DialogueRequest) -> bool:
    try:
        case.outcome  # noqa: B018 - loaded by the selector; absent raises
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
        return False
    return True


SESSION_UNITS = ("reschedule_meeting", "cancel_meeting", "record_meeting")


def _session_rows(case: DialogueRequest, caps: Any) -> list[dict[str, Any]]:
    """Each session of the series with the buttons this person may use on it (the flow's answer)."""
    rows = []
    flow = presenters.flow_of(case)
    # Whose role admits a unit at all is asked once; only then each session's guards (a few queries each).
    open_units = set()
    for name in (*SESSION_UNITS, "participant_registered", "attendance_recorded"):
        option = caps.option(name)
        if option is not None and option.spec.role_for(caps.flow, caps.user) is not None:
            open_units.add(name)

    def allows(name: str, data: dict[str, Any]) -> bool:
        return name in open_units and caps.allows(name, data)

    for meeting in sorted(case.meetings.all(), key=lambda m: (m.number, m.pk)):
        data = {"session": meeting.pk}
        scheduled, held = meeting.status == "scheduled", meeting.status == "held"
        rows.append(
            {
                "meeting": meeting,
                "figures": sessions.figures(list(meeting.participants.all())),
                "actions": [
                    {"name": name, "label": flow.unit(name).label}
                    for name in SESSION_UNITS
                    if scheduled and allows(name, data)
                ],
                "may_register": scheduled and allows("participant_registered", data),
                "may_record_attendance": held and allows("attendance_recorded", data),
            }
        )
    return rows


def current_meeting_from(case: DialogueRequest) -> Any:
    meetings = [meeting for meeting in case.meetings.all() if meeting.status != "cancelled"]
    return meetings[-1] if meetings else None


def _clock_row(case: DialogueRequest, clock: Any, minutes: Any = None) -> dict[str, Any]:
    status = "paused" if clock.paused else clock.status
    running_for_minutes = minutes is not None and clock.stopped_at is None and clock.state == case.state
    return {
        "state": presenters.state_label(case, clock.state),
        "owner": presenters.minutes_turn(minutes) if running_for_minutes else presenters.owner_label(clock.owner),
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "status": status,
        "open": clock.stopped_at is None,
    }


def _parties(case: DialogueRequest) -> list[Any]:
    return [case.requesting_organization, *case.counterpart_organizations.all()]


def _progress_forms(case: DialogueRequest, caps: Any, failed: Any) -> dict[int, Any]:
    forms_by_item = {}
    for item in case.action_items.all():
        if caps.allows("action_update_added", {"item": item}):
            if failed is not None and failed.item_id == item.pk:
                forms_by_item[item.pk] = failed
            else:
                forms_by_item[item.pk] = ActionProgressForm(item_id=item.pk, initial={"status": item.status})
    return forms_by_item


def render_page(request: HttpRequest, case: DialogueRequest, status: int = 200, **extra: Any) -> HttpResponse:
    """The whole page, or only its body for htmx (the page's content is swapped in place)."""
    context = page_context(request, case, **extra)
    if request.htmx:
        response = render(request, "portal/requests/_body.html", context, status=status)
        response["HX-Retarget"] = "#request-body"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "portal/requests/detail.html", context, status=status)


def _done(request: HttpRequest, reference: str, message: Any) -> HttpResponse:
    """After a change: the refreshed body for htmx, a redirect (post/redirect/get) otherwise."""
    if request.htmx:
        case = load(request, reference)
        response = render_page(request, case, flash=message)
        response["HX-Trigger"] = "notificationsChanged"
        return response
    messages.success(request, message)
    return redirect("portal:request_detail", reference=reference)


def _refused(request: HttpRequest, reference: str, error: EngineError, **forms_: Any) -> HttpResponse:
    case = load(request, reference)
    return render_page(request, case, status=_status(error), refusal=error, **forms_)


# --- views ------------------------------------------------------------------------------------


@login_required
@require_GET
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return render_page(request, load(request, reference))


#: Units taken on the minutes: their form shows the minutes (a restricted outcome's read is logged).
MINUTES_UNITS = frozenset(
    {"confirm_minutes", "minutes_correction_requested", "minutes_revised", "minutes_correction_rejected"}
)


def _minutes_context(request: HttpRequest, case: DialogueRequest, name: str, options: list[Any]) -> dict[str, Any]:
    """What a form on the minutes shows: the minutes themselves, their corrections, the other way to answer."""
    if name not in MINUTES_UNITS:
        return {}
    try:
        minutes = services.minutes_read(request=case, actor=request.user, context=RequestContext.from_request(request))
    except NotPermitted:
        minutes = None
    allowed = {option.name for option in options if option.allowed}
    return {
        "minutes_read": minutes,
        "pending_corrections": [item for item in minutes.corrections if item.status == "pending"] if minutes else [],
        "may_object": name == "confirm_minutes" and "minutes_correction_requested" in allowed,
        "may_reject": name == "minutes_revised" and "minutes_correction_rejected" in allowed,
    }


@login_required
@require_http_methods(["GET", "POST"])
def request_action(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """Show a transition's form (GET) or run it (POST)."""
    case = load_light(request, reference)
    spec = presenters.flow_of(case).spec(name)
    if spec is None or presenters.platform_only(spec):
        raise Http404(_("No such action."))
    options = engine.available_transitions(case, request.user)
    option = next((o for o in options if o.name == name), None)
    if request.method == "POST":
        form = action_forms.build(spec, case, data=request.POST, files=request.FILES)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            services.request_transition(
                request=case,
                name=name,
                actor=request.user,
                data=request.POST,
                files=request.FILES or None,
                expected_version=version,
                context=RequestContext.from_request(request),
            )
        except EngineError as error:
            if form is not None:
                form.is_valid()
                _apply_errors(form, error)
            context = {
                "case": case,
                "spec": spec,
                "form": form,
                "option": option,
                "error": error,
                "form_template": _form_template(name),
                "destructive": name in presenters.DESTRUCTIVE,
                **_minutes_context(request, case, name, options),
            }
            template = "portal/requests/_action_form.html" if request.htmx else "portal/requests/action_page.html"
            return render(request, template, {**context, "page_title": spec.label}, status=_status(error))
        case.refresh_from_db(fields=["state"])
        return _done(request, reference, presenters.confirmation(case, name, spec.label))
    # A session's own button names it (``?session=``): the form opens on that session.
    session = request.GET.get("session", "")
    extra = _minutes_context(request, case, name, options)
    initial = action_forms.initial_for(spec, case, session) or {}
    if name == "minutes_revised" and extra.get("minutes_read"):
        initial["minutes"] = extra["minutes_read"].outcome.minutes  # the secretariat edits the current text
    form = action_forms.build(spec, case, initial=initial or None)
    context = {
        "case": case,
        "spec": spec,
        "form": form,
        "option": option,
        "page_title": spec.label,
        "form_template": _form_template(name),
        "destructive": name in presenters.DESTRUCTIVE,
        **extra,
    }
    template = "portal/requests/_action_form.html" if request.htmx else "portal/requests/action_page.html"
    return render(request, template, context)


@login_required
@require_POST
def vote(request: HttpRequest, reference: str) -> HttpResponse:
    case = load_light(request, reference)
    form = VoteForm(request.POST)
    form.is_valid()
    try:
        services.vote_cast(
            request=case,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        _apply_errors(form, error)
        return _refused(request, reference, error, vote_form=form)
    return _done(request, reference, _("Your vote is recorded."))


@login_required
@require_POST
def conflict(request: HttpRequest, reference: str) -> HttpResponse:
    case = load_light(request, reference)
    form = ConflictForm(request.POST)
    form.is_valid()
    try:
        services.conflict_declare(
            request=case,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        _apply_errors(form, error)
        return _refused(request, reference, error, conflict_form=form)
    return _done(request, reference, _("Your conflict of interest is declared; you are recused from this request."))


@login_required
@require_GET
def outcome_restricted(request: HttpRequest, reference: str) -> HttpResponse:
    """htmx: show a restricted outcome to someone entitled to it; the read is written to the audit trail."""
    case = load(request, reference)
    try:
        outcome = services.outcome_read_restricted(
            request=case, actor=request.user, context=RequestContext.from_request(request)
        )
    except NotPermitted as error:
        return render(request, "portal/requests/_refusal.html", {"error": error}, status=403)
    if outcome is None:
        raise Http404(_("This request has no outcome yet."))
    if not request.htmx:
        # Opened directly (a bookmark, a new tab): the whole request page, with the outcome open.
        return render_page(request, case, outcome=outcome, outcome_restricted=False, opened=True)
    return render(request, "portal/requests/_outcome.html", {"case": case, "outcome": outcome, "opened": True})


@login_required
@require_GET
def meeting_ics(request: HttpRequest, reference: str) -> HttpResponse:
    case = load_light(request, reference)
    meeting = current_meeting(case)
    if meeting is None:
        raise Http404(_("No meeting is scheduled for this request."))
    response = HttpResponse(services.meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}.ics"'
    return response


@login_required
@require_POST
def attachment_upload(request: HttpRequest, reference: str) -> HttpResponse:
    case = load_light(request, reference)
    form = AttachmentForm(request.POST, request.FILES)
    # The draft's guided form uploads without htmx and comes back to itself.
    back_to = _same_site(request, request.POST.get("next")) if not request.htmx else None
    error: EngineError | None = None
    if form.is_valid():
        try:
            services.attachment_add(
                request=case,
                actor=request.user,
                file=form.cleaned_data["file"],
                description=form.cleaned_data.get("description", ""),
                context=RequestContext.from_request(request),
            )
        except EngineError as refused:
            error = refused
            _apply_errors(form, error)
            if isinstance(error, InvalidInput) and "file" not in form.errors:
                for messages_ in error.errors.values():
                    for message in messages_:
                        form.add_error("file", message)
        else:
            if back_to:
                messages.success(request, _("The document is added."))
                return redirect(back_to)
            return _done(request, reference, _("The document is added."))
    if back_to:
        for message in [*form.errors.get("file", []), *form.non_field_errors()]:
            messages.error(request, message)
        if error is not None and not isinstance(error, InvalidInput):
            messages.error(request, error.message)
        return redirect(back_to)
    if error is None:
        return render_page(request, load(request, reference), status=400, attachment_form=form)
    return _refused(request, reference, error, attachment_form=form)


def _same_site(request: HttpRequest, candidate: str | None) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return None


@login_required
@require_GET
def attachment_download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = load_light(request, reference)
    attachment = case.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404(_("No such document."))
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )


@login_required
@require_POST
def action_item_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = load_light(request, reference)
    form = ActionItemForm(request.POST, organizations=_parties(case))
    form.is_valid()
    try:
        services.action_item_create(
            request=case,
            actor=request.user,
            description=request.POST.get("description", ""),
            owner_organization=request.POST.get("owner_organization") or None,
            # Typed day first (23/11/2026, ٢٣/١١/٢٠٢٦): the form reads it; the service takes the date.
            due_date=form.cleaned_data.get("due_date") or request.POST.get("due_date") or None,
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        _apply_errors(form, error)
        if _on_fields(form, error):
            # A rule about one field (a due date in the past): said at the field, in the error summary.
            return render_page(request, load(request, reference), status=_status(error), action_item_form=form)
        return _refused(request, reference, error, action_item_form=form)
    return _done(request, reference, _("The follow-up action is added."))


@login_required
@require_POST
def action_item_progress(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = load_light(request, reference)
    item = case.action_items.filter(pk=pk).first()
    if item is None:
        raise Http404(_("No such follow-up action."))
    form = ActionProgressForm(request.POST, request.FILES, item_id=item.pk)
    form.is_valid()

    def sent(name: str) -> str:
        return request.POST.get(form.add_prefix(name), "")

    status = sent("status") or None
    try:
        services.action_update_add(
            item=item,
            actor=request.user,
            text=sent("text"),
            evidence_url=sent("evidence_url"),
            evidence_file=request.FILES.get(form.add_prefix("evidence_file")),
            status=status if status != item.status else None,
            justification=sent("justification") if status == ActionItem.Status.DROPPED else None,
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        _apply_errors(form, error)
        return _refused(request, reference, error, progress_form=form)
    return _done(request, reference, _("Progress is recorded."))


def request_url(reference: str) -> str:
    return reverse("portal:request_detail", kwargs={"reference": reference})
