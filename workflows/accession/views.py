"""The membership pages of the portal: apply, follow one's application, and the secretariat's vetting queue.

Each view parses input, calls the services or ``engine.run`` and renders the outcome; what a person may
see or do is asked of the flow (``engine.capabilities``), never decided here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.throttling import SimpleRateThrottle

import engine
from engine.audit import RequestContext
from engine.client_ip import client_ip
from engine.errors import ConcurrentChange, EngineError, GuardFailed, InvalidInput, NotPermitted
from engine.models import AuditEvent, SlaClock
from engine.uploads import UploadRefused, checked_upload
from partners.models import CharterAcceptance, Membership, Organization
from partners.selectors import current_charter, user_access
from partners.services import organization_accept_charter as accept_charter
from portal import presenters

from . import selectors, services
from .flows import AccessionFlow, MembershipFlow
from .forms import DocumentUploadForm, PortalApplicationForm, SignUpForm
from .models import Application, MemberFile

STATUS_FOR_ERROR = {InvalidInput: 400, NotPermitted: 403, GuardFailed: 409, ConcurrentChange: 409}
#: units with a page of their own rather than a button (a document comes with its file)
OWN_FORMS = {"document_added"}


def _status(error: EngineError) -> int:
    return next((status for kind, status in STATUS_FOR_ERROR.items() if isinstance(error, kind)), 409)


def _apply_errors(form: Any, error: EngineError) -> None:
    if isinstance(error, InvalidInput):
        for name, texts in error.errors.items():
            target = name if name in form.fields else None
            for text in texts:
                form.add_error(target, text)


def _unit_data(request: HttpRequest, name: str) -> dict[str, Any]:
    """The unit's fields as posted (its form's prefix removed): the engine validates them with the form."""
    prefix = f"{name}-"
    return {key[len(prefix) :]: request.POST.get(key) for key in request.POST if key.startswith(prefix)}


def _load(request: HttpRequest, reference: str) -> Application:
    try:
        return (
            selectors.visible_applications(request.user)
            .select_related("applicant", "charter_version")
            .get(reference=reference)
        )
    except Application.DoesNotExist:
        raise Http404(_("No such application, or it is not visible to you.")) from None


# --- signing up and applying ------------------------------------------------------------------------------


class SignUpThrottle(SimpleRateThrottle):
    """Sign-up attempts per client address (``settings.SIGN_UP_RATE``, e.g. ``"10/hour"``; None: no limit).

    DRF's throttle (the one the API's sign-in uses) on the portal form: the same cache, the same client
    address as the audit trail and the login lockout (``engine.client_ip``).
    """

    scope = "sign_up"

    def get_rate(self) -> str | None:
        return getattr(settings, "SIGN_UP_RATE", "10/hour")

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or ""}


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """A person without an account creates one to apply; it acts for no organization until approved."""
    if request.user.is_authenticated:
        return redirect("accession:apply")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        throttle = SignUpThrottle()
        if not throttle.allow_request(request, None):
            wait = max(1, int(throttle.wait() or 60))
            form = SignUpForm(None)
            form.full_clean()  # an unbound form: no field errors, an empty place for the page's own
            form.cleaned_data = {}
            form.add_error(
                None,
                _("Too many accounts were requested from this address. Wait %(minutes)s minute(s) and try again.")
                % {"minutes": -(-wait // 60)},
            )
            response = render(
                request,
                "accession/sign_up.html",
                {"page_title": _("Create an account to apply"), "form": form},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your account is ready: apply now for your organization."))
        return redirect("accession:apply")
    return render(
        request,
        "accession/sign_up.html",
        {"page_title": _("Create an account to apply"), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """One page: the organization, the charter read and accepted, a supporting document; submitted at once."""
    version = current_charter()
    if user_access(request.user).memberships:
        return render(
            request,
            "accession/apply.html",
            {"page_title": _("Apply to join the platform"), "already_member": True, "version": version},
            status=403,
        )
    initial = {"charter_version": version.number if version else None}
    form = PortalApplicationForm(request.POST or None, request.FILES or None, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data.get("document")
        try:
            if file is not None:
                checked_upload(file)  # a refused file is said before anything is created
            with transaction.atomic():
                context = RequestContext.from_request(request)
                application = services.application_create(
                    actor=request.user, data=form.application_data(), context=context
                )
                if file is not None:
                    services.document_add(
                        application=application,
                        actor=request.user,
                        file=file,
                        description=form.cleaned_data.get("document_description", ""),
                        context=context,
                    )
                engine.run(
                    application,
                    "submit",
                    actor=request.user,
                    data={"accept_charter": True, "charter_version": form.cleaned_data["charter_version"]},
                    context=context,
                )
        except UploadRefused as refused:
            form.add_error("document", str(refused))
        except EngineError as failure:
            _apply_errors(form, failure)
            error = failure
        else:
            messages.success(request, _("Your application was sent to the secretariat."))
            return redirect("accession:detail", reference=application.reference)
    return render(
        request,
        "accession/apply.html",
        {
            "page_title": _("Apply to join the platform"),
            "form": form,
            "version": version,
            "error": error,
            "pending": selectors.visible_applications(request.user).filter(state__in=selectors.PENDING),
        },
        status=(_status(error) if error else 400) if request.method == "POST" else 200,
    )


# --- lists ------------------------------------------------------------------------------------------------


#: clock owners of this workflow the portal does not name itself
OWNER_LABELS = {"applicant": _("Applicant")}


def _owner(owner: str) -> str:
    return str(OWNER_LABELS[owner]) if owner in OWNER_LABELS else presenters.owner_label(owner)


def _time_left(clock: SlaClock | None, now: Any) -> dict[str, Any] | None:
    if clock is None:
        return None
    if clock.paused_at is not None:
        return {"paused": True, "owner": _owner(clock.owner), "status": "paused"}
    seconds = (clock.due_at - now).total_seconds() if clock.due_at else None
    return {
        "paused": False,
        "owner": _owner(clock.owner),
        "due_at": clock.due_at,
        "days": int(seconds // 86400) if seconds is not None else None,
        "overdue": seconds is not None and seconds < 0,
        "status": clock.status,
    }


@login_required
@require_GET
def applications(request: HttpRequest) -> HttpResponse:
    """The applicant's own applications; for the secretariat, the vetting queue (under way, oldest first)."""
    oversight = selectors.is_oversight(request.user)
    queryset = selectors.visible_applications(request.user).select_related("applicant")
    show_all = oversight and request.GET.get("all") == "1"
    if oversight and not show_all:
        queryset = queryset.filter(state__in=("submitted", "info_requested")).order_by("submitted_at", "id")
    else:
        queryset = queryset.order_by("-id")
    rows = list(queryset[:200])
    clocks = {
        clock.case_id: clock
        for clock in SlaClock.objects.filter(
            case_type=Application.case_type(), case_id__in=[row.pk for row in rows], stopped_at__isnull=True
        )
    }
    now = timezone.now()
    return render(
        request,
        "accession/applications.html",
        {
            "page_title": _("Vetting queue") if oversight else _("My membership applications"),
            "oversight": oversight,
            "show_all": show_all,
            "rows": [
                {"case": row, "state": presenters.state_label(row), "sla": _time_left(clocks.get(row.pk), now)}
                for row in rows
            ],
            "may_apply": not oversight and not user_access(request.user).memberships,
        },
    )


# --- one application --------------------------------------------------------------------------------------


def _page(request: HttpRequest, case: Application, **extra: Any) -> dict[str, Any]:
    caps = engine.capabilities(case, request.user)
    history = list(
        AuditEvent.objects.filter(case_type=case.case_type(), case_id=case.pk).select_related("actor").order_by("seq")
    )
    forms_by_name = extra.pop("forms", {})
    units = []
    for option in [*caps.transitions, *caps.actions]:
        if option.name in OWN_FORMS or presenters.platform_only(option.spec):
            continue
        if any(reason.code == "not_permitted" for reason in option.reasons):
            continue  # only the units this person may run are shown
        form_class = option.spec.form
        form = forms_by_name.get(option.name) or (form_class(prefix=option.name) if form_class else None)
        if option.name == "submit" and form is not None and not form.is_bound:
            version = current_charter()
            form = form_class(prefix=option.name, initial={"charter_version": version.number if version else None})
        units.append({"option": option, "form": form, "primary": option.name in ("approve", "submit")})
    clocks = [
        {
            "state": presenters.state_label(case, clock.state),
            "sla": _time_left(clock, timezone.now()) if clock.stopped_at is None else None,
            "clock": clock,
        }
        for clock in SlaClock.objects.filter(case_type=case.case_type(), case_id=case.pk).order_by("started_at")
    ]
    context = {
        "page_title": f"{case.reference} · {case.name_ar or case.name}",
        "case": case,
        "state_label": presenters.state_label(case),
        "units": units,
        "timeline": presenters.timeline(case, list(reversed(history)), capabilities=caps),
        "documents": list(case.documents.all()),
        "upload_form": extra.pop("upload_form", None) or (DocumentUploadForm() if caps.can("document_added") else None),
        "clocks": clocks,
        "themes": list(case.themes.all()),
        "flow": AccessionFlow,
    }
    context.update(extra)
    return context


@login_required
@require_GET
def application_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = _load(request, reference)
    return render(request, "accession/detail.html", _page(request, case))


@login_required
@require_POST
def application_action(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """Run one unit of the flow from its form on the application page."""
    case = _load(request, reference)
    spec = AccessionFlow.specs().get(name) or AccessionFlow.actions().get(name)
    if spec is None or name in OWN_FORMS:
        raise Http404(_("No such step."))
    form = spec.form(request.POST, prefix=name) if spec.form else None
    if form is not None and not form.is_valid():
        return render(request, "accession/detail.html", _page(request, case, forms={name: form}), status=400)
    data = _unit_data(request, name)
    try:
        engine.run(
            case,
            name,
            actor=request.user,
            data=data,
            expected_version=int(request.POST.get("version", case.version) or case.version),
            context=RequestContext.from_request(request),
        )
    except EngineError as error:
        if form is not None:
            _apply_errors(form, error)
        case = _load(request, reference)
        page = _page(request, case, forms={name: form} if form is not None else {}, error=error)
        return render(request, "accession/detail.html", page, status=_status(error))
    messages.success(request, _("Done: %(step)s.") % {"step": spec.label})
    return redirect("accession:detail", reference=case.reference)


@login_required
@require_POST
def document_upload(request: HttpRequest, reference: str) -> HttpResponse:
    case = _load(request, reference)
    form = DocumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_add(
                application=case,
                actor=request.user,
                file=form.cleaned_data["file"],
                description=form.cleaned_data.get("description", ""),
                context=RequestContext.from_request(request),
            )
        except EngineError as error:
            _apply_errors(form, error)
            return render(
                request,
                "accession/detail.html",
                _page(request, case, upload_form=form, error=error),
                status=_status(error),
            )
        messages.success(request, _("The document was added to the application."))
        return redirect("accession:detail", reference=case.reference)
    return render(request, "accession/detail.html", _page(request, case, upload_form=form), status=400)


@login_required
@require_GET
def document_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    case = _load(request, reference)  # who may see the application may read its documents
    document = case.documents.filter(pk=pk).first()
    if document is None:
        raise Http404(_("No such document."))
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)
    response["Content-Type"] = document.content_type
    return response


# --- members: the secretariat's list (status, charter accepted), a member's page ---------------------------


def _member_file_or_blank(organization: Organization) -> MemberFile:
    """The organization's member file, or an unsaved one to ask the flow what may be done before it opens."""
    existing = MemberFile.objects.filter(organization=organization).select_related("successor").first()
    if existing is not None:
        return existing
    return MemberFile(organization=organization, state="active" if organization.active else "suspended")


def _visible_organization(request: HttpRequest, pk: int) -> Organization:
    organization = Organization.objects.exclude(kind=Organization.Kind.SECRETARIAT).filter(pk=pk).first()
    if organization is None:
        raise Http404(_("No such organization, or it is not visible to you."))
    member_file = _member_file_or_blank(organization)
    if not engine.capabilities(member_file, request.user).can_view:
        raise Http404(_("No such organization, or it is not visible to you."))
    return organization


@login_required
@require_GET
def members(request: HttpRequest) -> HttpResponse:
    """Every organization with its status and whether it accepted the charter version in force."""
    if not selectors.is_oversight(request.user):
        raise Http404(_("No such page."))
    version = current_charter()
    only_missing = request.GET.get("not_accepted") == "1"
    rows = selectors.members_with_acceptance(version)
    for row in rows:
        row["state_label"] = MembershipFlow.state_labels.get(row["file"].state) if row["file"] else None
    missing = [row for row in rows if row["organization"].active and not row["accepted"]]
    if only_missing:
        rows = missing
    return render(
        request,
        "accession/members.html",
        {
            "page_title": _("Members"),
            "rows": rows,
            "version": version,
            "only_missing": only_missing,
            "missing_count": len(missing),
        },
    )


@login_required
@require_GET
def my_organization(request: HttpRequest) -> HttpResponse:
    memberships = user_access(request.user).memberships
    if not memberships:
        return redirect("accession:applications")
    return redirect("accession:member", pk=memberships[0].organization_id)


def _member_page(request: HttpRequest, organization: Organization, **extra: Any) -> dict[str, Any]:
    member_file = _member_file_or_blank(organization)
    caps = engine.capabilities(member_file, request.user)
    forms_by_name = extra.pop("forms", {})
    units = []
    for option in caps.transitions:
        if presenters.platform_only(option.spec) or any(r.code == "not_permitted" for r in option.reasons):
            continue
        form_class = option.spec.form
        form = forms_by_name.get(option.name) or (form_class(prefix=option.name) if form_class else None)
        units.append({"option": option, "form": form, "primary": option.name == "handover_confirmed"})
    history = []
    if member_file.pk:
        events = AuditEvent.objects.filter(case_type=member_file.case_type(), case_id=member_file.pk)
        history = presenters.timeline(
            member_file, list(events.select_related("actor").order_by("-seq")), capabilities=caps
        )
    version = current_charter()
    context = {
        "page_title": organization.display_name,
        "organization": organization,
        "member_file": member_file,
        "state_label": MembershipFlow.state_labels.get(member_file.state, member_file.state),
        "units": units,
        "timeline": history,
        "version": version,
        "accepted": version is not None
        and CharterAcceptance.objects.filter(organization=organization, version=version).exists(),
        "coordinators": list(
            Membership.objects.filter(organization=organization, role=Membership.Role.COORDINATOR, active=True)
            .select_related("user")
            .order_by("user__username")
        ),
        "may_accept": organization.pk in user_access(request.user).coordinated_ids,
    }
    context.update(extra)
    return context


@login_required
@require_GET
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _visible_organization(request, pk)
    return render(request, "accession/member.html", _member_page(request, organization))


@login_required
@require_POST
def member_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one unit of the member's file; the file is opened (and audited) the first time."""
    organization = _visible_organization(request, pk)
    spec = MembershipFlow.specs().get(name)
    if spec is None:
        raise Http404(_("No such step."))
    form = spec.form(request.POST, prefix=name) if spec.form else None
    if form is not None and not form.is_valid():
        page = _member_page(request, organization, forms={name: form})
        return render(request, "accession/member.html", page, status=400)
    context = RequestContext.from_request(request)
    try:
        with transaction.atomic():
            # who and when, asked before the file is opened: nothing is written for a step one may not take
            engine.authorize(_member_file_or_blank(organization), request.user, name)
            member_file = services.member_file_for(organization=organization, actor=request.user, context=context)
            engine.run(member_file, name, actor=request.user, data=_unit_data(request, name), context=context)
    except EngineError as error:
        if form is not None:
            _apply_errors(form, error)
        page = _member_page(request, organization, forms={name: form} if form is not None else {}, error=error)
        return render(request, "accession/member.html", page, status=_status(error))
    messages.success(request, _("Done: %(step)s.") % {"step": spec.label})
    return redirect("accession:member", pk=organization.pk)


@login_required
@require_POST
def member_accept_charter(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator accepts the charter version in force for the organization (audited on its application)."""
    organization = _visible_organization(request, pk)
    try:
        version = int(request.POST.get("charter_version") or 0)
        accept_charter(
            organization=organization,
            actor=request.user,
            charter_version=version or None,
            context=RequestContext.from_request(request),
        )
    except (EngineError, ValueError) as error:
        failure = (
            error if isinstance(error, EngineError) else InvalidInput({"charter_version": [str(_("Invalid version."))]})
        )
        page = _member_page(request, organization, error=failure)
        return render(request, "accession/member.html", page, status=_status(failure))
    messages.success(request, _("The organization accepted the charter version in force."))
    return redirect("accession:member", pk=organization.pk)
