"""The sessions of a request's dialogue series in the browser: registration, attendance, calendar files.

Each view parses input and calls the service (one declared unit on the flow); whether the buttons
show is ``engine.capabilities``' answer, and a refusal is shown with the flow's reasons.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from engine.audit import RequestContext
from engine.errors import EngineError, InvalidInput
from workflows.partnership import services
from workflows.partnership.forms import RegistrationForm
from workflows.partnership.models import DialogueRequest, Meeting, Participant

from .requests import _status, load_light

WALK_IN_ROWS = 3
PERSON_FIELDS = ("name", "organization", "organization_name", "side", "gender", "role")


def _session(case: DialogueRequest, pk: int) -> Meeting:
    meeting = Meeting.objects.filter(request=case, pk=pk).first()
    if meeting is None:
        raise Http404(_("No such session."))
    return meeting


def _show_errors(form: forms.Form, error: EngineError) -> None:
    if isinstance(error, InvalidInput):
        for name, texts in error.errors.items():
            if name in form.fields and name in form.errors:
                continue
            for text in texts:
                form.add_error(name if name in form.fields else None, text)


@login_required
@require_GET
def session_ics(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = load_light(request, reference)
    meeting = _session(case, pk)
    response = HttpResponse(services.meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-{meeting.number}.ics"'
    return response


def _registration_form(data: Any = None, session: Meeting | None = None) -> RegistrationForm:
    form = RegistrationForm(data=data, initial={"session": session.pk if session else None})
    form.fields["session"].widget = forms.HiddenInput()
    return form


@login_required
@require_http_methods(["GET", "POST"])
def session_register(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Register a person for a scheduled session (the flow refuses beyond its capacity)."""
    case = load_light(request, reference)
    meeting = _session(case, pk)
    error: EngineError | None = None
    if request.method == "POST":
        data = request.POST.copy()
        data["session"] = str(meeting.pk)
        form = _registration_form(data, meeting)
        try:
            services.participant_register(
                request=case, actor=request.user, data=data, context=RequestContext.from_request(request)
            )
        except EngineError as refused:
            error = refused
            form.is_valid()
            _show_errors(form, refused)
        else:
            messages.success(request, _("Registered for session %(number)s.") % {"number": meeting.number})
            return redirect("portal:request_detail", reference=reference)
    else:
        form = _registration_form(session=meeting)
    context = {
        "case": case,
        "session": meeting,
        "form": form,
        "error": error,
        "page_title": _("Register a participant"),
    }
    return render(request, "portal/requests/session_register.html", context, status=_status(error) if error else 200)


def _walk_ins(post: Any) -> list[dict[str, Any]]:
    rows = []
    for index in range(WALK_IN_ROWS):
        row = {name: post.get(f"walkin-{index}-{name}", "").strip() for name in PERSON_FIELDS}
        if not any(row[name] for name in ("name", "organization", "organization_name")):
            continue
        rows.append({key: value for key, value in row.items() if value})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def session_attendance(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """After the session: tick the registered people who came, add walk-ins."""
    case = load_light(request, reference)
    meeting = _session(case, pk)
    people = list(Participant.objects.filter(meeting=meeting, walk_in=False).select_related("organization"))
    error: EngineError | None = None
    present = {p.pk for p in people if p.attended}
    if request.method == "POST":
        present = {int(v) for v in request.POST.getlist("present") if v.isdigit() and len(v) < 18}
        data = {"session": meeting.pk, "present": sorted(present), "walk_ins": _walk_ins(request.POST)}
        try:
            services.attendance_record(
                request=case, actor=request.user, data=data, context=RequestContext.from_request(request)
            )
        except EngineError as refused:
            error = refused
        else:
            messages.success(request, _("Attendance of session %(number)s recorded.") % {"number": meeting.number})
            return redirect("portal:request_detail", reference=reference)
    context = {
        "case": case,
        "session": meeting,
        "people": people,
        "present": present,
        "rows": range(WALK_IN_ROWS),
        "sides": Participant._meta.get_field("side").choices,
        "genders": Participant.Gender.choices,
        "roles": Participant.Role.choices,
        "error": error,
        "posted": request.POST if request.method == "POST" else {},
        "page_title": _("Attendance"),
    }
    return render(request, "portal/requests/session_attendance.html", context, status=_status(error) if error else 200)
