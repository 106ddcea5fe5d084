"""The life of a membership application: draft → submitted ⇄ info requested → approved | rejected, or withdrawn."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.fsm import State

from engine.flows import EventSpec, Flow, action, transition
from engine.reasons import Reason
from engine.registry import register
from engine.roles import Role
from partners import charter
from partners.models import CharterVersion, PlatformRole
from partners.selectors import is_secretariat, user_access

from . import effects, forms, selectors
from .models import Application

DRAFT = "draft"
SUBMITTED = "submitted"
INFO_REQUESTED = "info_requested"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

OVERSIGHT_ROLES = [PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD, PlatformRole.Role.AUDITOR]


# --- roles ------------------------------------------------------------------------------------

applicant = Role("applicant", _("the applicant"), lambda flow, user: flow.case.applicant_id == user.pk)
secretariat = Role("secretariat", _("the secretariat"), lambda flow, user: is_secretariat(user))
auditor = Role("auditor", _("an auditor"), lambda flow, user: "auditor" in user_access(user).roles)


# --- guards (charter rules) -------------------------------------------------------------------


def current_charter_accepted(flow: AccessionFlow) -> Reason | None:
    """Submitting needs an explicit acceptance of the charter version in force."""
    if not flow.data:
        return None  # asked before any input (the list of what one may do): the form decides
    current = CharterVersion.objects.filter(is_current=True).values_list("number", flat=True).first()
    if not flow.data.get("accept_charter") or flow.data.get("charter_version") != current:
        return Reason(
            "charter_not_accepted",
            _("Accept the current version (%(version)s) of the Partnership Charter to apply."),
            article=charter.PARTICIPATION,
            params={"version": current},
        )
    return None


def no_other_pending(flow: AccessionFlow) -> Reason | None:
    """One application at a time per organization, and none for an organization already a member."""
    case = flow.case
    others = selectors.pending_with_name(case.name, case.name_ar, exclude_pk=case.pk).exclude(state=DRAFT)
    if others.exists():
        return Reason(
            "application_pending",
            _("Another application for an organization of this name is already under review."),
            article=charter.PARTICIPATION,
        )
    if selectors.member_with_name(case.name, case.name_ar).exists():
        return Reason(
            "already_member",
            _("An organization of this name is already a member of the platform."),
            article=charter.PARTICIPATION,
        )
    return None


# --- the flow ---------------------------------------------------------------------------------


@register
class AccessionFlow(Flow):
    model = Application
    state = State(str, default=DRAFT)
    state_labels = {
        DRAFT: _("Draft"),
        SUBMITTED: _("Submitted"),
        INFO_REQUESTED: _("Information requested"),
        APPROVED: _("Approved"),
        REJECTED: _("Rejected"),
        WITHDRAWN: _("Withdrawn"),
    }
    final_states = frozenset({APPROVED, REJECTED, WITHDRAWN})
    events = (
        EventSpec("charter_accepted", _("Charter version accepted")),
        EventSpec("document_added", _("Supporting document added")),
    )

    @transition(
        state,
        source=DRAFT,
        target=SUBMITTED,
        label=_("Submit"),
        roles=[applicant],
        guards=[current_charter_accepted, no_other_pending],
        form=forms.SubmitForm,
    )
    def submit(self, *, accept_charter: bool, charter_version: int) -> dict[str, Any]:
        """Send the application to the secretariat, accepting the charter version in force."""
        self.case.submitted_at = timezone.now()
        self.case.charter_version = CharterVersion.objects.get(number=charter_version)
        return {"charter_version": charter_version}

    @transition(
        state,
        source=SUBMITTED,
        target=INFO_REQUESTED,
        label=_("Request information"),
        roles=[secretariat],
        form=forms.MessageForm,
        pauses_clock=True,
    )
    def request_info(self, *, message: str) -> None:
        """The secretariat's vetting clock pauses while the applicant has the turn."""

    @transition(
        state,
        source=INFO_REQUESTED,
        target=SUBMITTED,
        label=_("Provide information"),
        roles=[applicant],
        form=forms.MessageForm,
    )
    def provide_info(self, *, message: str) -> None:
        """The answer goes back to the secretariat; its vetting clock resumes."""

    @transition(
        state,
        source=SUBMITTED,
        target=APPROVED,
        label=_("Approve"),
        roles=[secretariat],
        guards=[no_other_pending],
        on_success=effects.approved,
    )
    def approve(self) -> None:
        """The organization becomes an active member and the applicant its coordinator."""
        self.case.decided_at = timezone.now()

    @transition(
        state,
        source=[SUBMITTED, INFO_REQUESTED],
        target=REJECTED,
        label=_("Reject"),
        roles=[secretariat],
        form=forms.ReasonForm,
    )
    def reject(self, *, reason: str) -> None:
        """Refuse the application, saying why (citing the charter's article on participation)."""
        self.case.decided_at = timezone.now()
        self.case.decision_reason = reason

    @transition(
        state,
        source=[DRAFT, SUBMITTED, INFO_REQUESTED],
        target=WITHDRAWN,
        label=_("Withdraw"),
        roles=[applicant],
    )
    def withdraw(self) -> None:
        """The applicant gives up the application."""

    @action(
        source=[DRAFT, SUBMITTED, INFO_REQUESTED],
        label=_("Supporting document added"),
        roles=[applicant],
    )
    def document_added(self) -> None:
        """A supporting document, checked by ``engine.uploads`` and stored by ``services.document_add``."""

    # Who sees the case, who hears about it

    @classmethod
    def viewer_ids(cls, case: Any, user_ids: Any) -> set[int]:
        seen = Q(pk=case.applicant_id) | Q(platform_roles__role__in=OVERSIGHT_ROLES)
        users = get_user_model().objects.filter(seen, pk__in=list(user_ids), is_active=True)
        return set(users.values_list("pk", flat=True).distinct())

    def can_view(self) -> bool:
        if self.user is None or not getattr(self.user, "is_authenticated", False):
            return False
        return self.case.applicant_id == self.user.pk or selectors.is_oversight(self.user)

    def audience(self, name: str) -> list[Any]:
        return list(audience_users(self.case, name))


def audience_users(application: Application, name: str) -> QuerySet[Any]:
    """Active users in relation ``name`` to ``application`` (empty for unknown names)."""
    users = get_user_model().objects.filter(is_active=True)
    if name in ("applicant", "requester"):
        return users.filter(pk=application.applicant_id)
    if name == "secretariat":
        roles = [PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD]
        return users.filter(platform_roles__role__in=roles).distinct()
    if name == "secretariat_lead":
        return users.filter(platform_roles__role=PlatformRole.Role.SECRETARIAT_LEAD).distinct()
    if name == "auditors":
        return users.filter(platform_roles__role=PlatformRole.Role.AUDITOR).distinct()
    return users.none()
