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
from partners.models import CharterVersion, Membership, PlatformRole
from partners.selectors import is_secretariat, user_access

from . import effects, forms, selectors
from .models import Application, MemberFile

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


# === a member's file: coordinator handover, suspension and reinstatement ===============================

ACTIVE = "active"
HANDOVER_PENDING = "handover_pending"
SUSPENDED = "suspended"


def _is_coordinator(flow: Any, user: Any) -> bool:
    return Membership.objects.filter(
        user_id=user.pk, organization_id=flow.case.organization_id, role=Membership.Role.COORDINATOR, active=True
    ).exists()


coordinator = Role("coordinator", _("a coordinator of the organization"), _is_coordinator)


def successor_eligible(flow: MembershipFlow) -> Reason | None:
    """The new coordinator is someone else, not already coordinating this organization."""
    successor = (flow.data or {}).get("successor")
    if not successor:
        return None  # asked before any input: the form decides
    if (
        successor == getattr(flow.user, "pk", None)
        or Membership.objects.filter(
            user_id=successor, organization_id=flow.case.organization_id, role=Membership.Role.COORDINATOR, active=True
        ).exists()
    ):
        return Reason(
            "already_coordinator",
            _("This person already coordinates the organization: name someone else."),
            article=charter.PARTICIPATION,
        )
    return None


def successor_still_active(flow: MembershipFlow) -> Reason | None:
    successor = flow.case.successor
    if successor is None or not successor.is_active:
        return Reason(
            "successor_inactive",
            _("The proposed coordinator no longer has an active account: the handover cannot be confirmed."),
            article=charter.PARTICIPATION,
        )
    return None


@register
class MembershipFlow(Flow):
    model = MemberFile
    state = State(str, default=ACTIVE)
    state_labels = {
        ACTIVE: _("Active member"),
        HANDOVER_PENDING: _("Coordinator handover proposed"),
        SUSPENDED: _("Suspended"),
    }
    final_states = frozenset()
    events = (
        EventSpec("charter_reminder", _("Reminder to accept the charter in force")),
        EventSpec("charter_accepted", _("Charter version accepted")),
    )

    @transition(
        state,
        source=ACTIVE,
        target=HANDOVER_PENDING,
        label=_("Propose a new coordinator"),
        roles=[coordinator],
        guards=[successor_eligible],
        form=forms.SuccessorForm,
    )
    def handover_proposed(self, *, successor: int, message: str = "") -> dict[str, Any]:
        """The coordinator names their successor; the secretariat confirms."""
        person = get_user_model().objects.get(pk=successor)
        self.case.successor = person
        self.case.handover_from = self.user
        return {"successor": person.get_username(), "message": message}

    @transition(
        state,
        source=HANDOVER_PENDING,
        target=ACTIVE,
        label=_("Confirm the new coordinator"),
        roles=[secretariat],
        guards=[successor_still_active],
        on_success=effects.handover_confirmed,
    )
    def handover_confirmed(self) -> dict[str, Any]:
        """The successor becomes the organization's coordinator; the outgoing one stays a member."""
        successor, outgoing = self.case.successor, self.case.handover_from
        self.case.successor = self.case.handover_from = None
        return {
            "successor": successor.get_username() if successor else "",
            "successor_id": successor.pk if successor else None,
            "outgoing_id": outgoing.pk if outgoing else None,
        }

    @transition(
        state,
        source=HANDOVER_PENDING,
        target=ACTIVE,
        label=_("Withdraw the handover"),
        roles=[coordinator, secretariat],
        form=forms.OptionalMessageForm,
    )
    def handover_withdrawn(self, *, message: str = "") -> dict[str, Any]:
        """The proposal is dropped (by a coordinator or the secretariat); nothing changes."""
        self.case.successor = None
        self.case.handover_from = None
        return {"message": message}

    @transition(
        state,
        source=[ACTIVE, HANDOVER_PENDING],
        target=SUSPENDED,
        label=_("Suspend the member"),
        roles=[secretariat],
        form=forms.ReasonForm,
        on_success=effects.member_status_changed,
    )
    def suspend(self, *, reason: str) -> dict[str, Any]:
        """A suspended member's people cannot submit dialogue requests until it is reinstated."""
        self.case.status_reason = reason
        self.case.successor = None
        self.case.handover_from = None
        return {"reason": reason, "article": charter.PARTICIPATION}

    @transition(
        state,
        source=SUSPENDED,
        target=ACTIVE,
        label=_("Reinstate the member"),
        roles=[secretariat],
        form=forms.ReasonForm,
        on_success=effects.member_status_changed,
    )
    def reinstate(self, *, reason: str) -> dict[str, Any]:
        self.case.status_reason = reason
        return {"reason": reason}

    @classmethod
    def viewer_ids(cls, case: Any, user_ids: Any) -> set[int]:
        members = Q(memberships__organization_id=case.organization_id, memberships__active=True)
        seen = members | Q(platform_roles__role__in=OVERSIGHT_ROLES)
        if case.successor_id:
            seen |= Q(pk=case.successor_id)
        users = get_user_model().objects.filter(seen, pk__in=list(user_ids), is_active=True)
        return set(users.values_list("pk", flat=True).distinct())

    def can_view(self) -> bool:
        user = self.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if selectors.is_oversight(user) or user.pk == self.case.successor_id:
            return True
        return Membership.objects.filter(
            user_id=user.pk, organization_id=self.case.organization_id, active=True
        ).exists()

    def audience(self, name: str) -> list[Any]:
        users = get_user_model().objects.filter(is_active=True)
        if name in ("coordinators", "requester"):
            return list(
                users.filter(
                    memberships__organization_id=self.case.organization_id,
                    memberships__role=Membership.Role.COORDINATOR,
                    memberships__active=True,
                ).distinct()
            )
        if name == "successor":
            return list(users.filter(pk=self.case.successor_id)) if self.case.successor_id else []
        return list(audience_users(self.case, name)) if name != "applicant" else []
