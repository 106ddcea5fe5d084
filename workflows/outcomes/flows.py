"""Two flows of the outcome register.

A harvested outcome: draft → submitted → substantiated | disputed → published (substantiated only), or
withdrawn. A recommendation: its status is its state (not started, in progress, implemented, not
implemented); each progress report is one declared unit that may move it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from viewflow.fsm import State

from engine.flows import EventSpec, Flow, action, chosen_target, transition
from engine.reasons import Reason
from engine.registry import register
from engine.roles import Role
from partners import charter
from partners.models import Membership, PlatformRole
from partners.selectors import is_secretariat, user_access

from . import effects, forms, selectors
from .models import HarvestedOutcome, Recommendation

# --- harvested outcome states -----------------------------------------------------------------

DRAFT = "draft"
SUBMITTED = "submitted"
SUBSTANTIATED = "substantiated"
DISPUTED = "disputed"
PUBLISHED = "published"
WITHDRAWN = "withdrawn"

# --- recommendation states (its status) ---------------------------------------------------------

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
IMPLEMENTED = "implemented"
NOT_IMPLEMENTED = "not_implemented"
STATUSES = [NOT_STARTED, IN_PROGRESS, IMPLEMENTED, NOT_IMPLEMENTED]

OVERSIGHT_ROLES = [PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD, PlatformRole.Role.AUDITOR]


# --- roles ------------------------------------------------------------------------------------


def _is_harvester(flow: Any, user: Any) -> bool:
    return flow.case.harvested_by_id == user.pk


def _is_substantiator(flow: Any, user: Any) -> bool:
    return selectors.is_substantiator(user) and selectors.is_independent(flow.case, user)


def _why_not_substantiator(flow: Any, user: Any) -> Reason | None:
    if not selectors.is_substantiator(user):
        return Reason("not_substantiator", _("Only an independent substantiator may substantiate an outcome."))
    if not selectors.is_independent(flow.case, user):
        return Reason(
            "not_independent",
            _(
                "You are not independent of this outcome: you harvested it or your organization is party to its dialogue."
            ),
            article=charter.INDEPENDENCE,
        )
    return None


def _is_owner_coordinator(flow: Any, user: Any) -> bool:
    owner = flow.case.owner_organization_id
    return owner is not None and owner in user_access(user).coordinated_ids


secretariat = Role("secretariat", _("the secretariat"), lambda flow, user: is_secretariat(user))
auditor = Role("auditor", _("an auditor"), lambda flow, user: "auditor" in user_access(user).roles)
harvester = Role("harvester", _("the person who harvested the outcome"), _is_harvester)
substantiator = Role(
    "substantiator", _("an independent substantiator"), _is_substantiator, explain=_why_not_substantiator
)
owner_coordinator = Role("owner", _("a coordinator of the owner organization"), _is_owner_coordinator)


# --- guards -----------------------------------------------------------------------------------


def requests_after_dialogue(flow: OutcomeFlow) -> Reason | None:
    """An outcome is harvested after a dialogue: every linked request has its outcome documented."""
    requests = list(flow.case.requests.all())
    if not requests:
        return Reason("no_request", _("Link the outcome to at least one dialogue request."), article=charter.SCOPE)
    early = [request.reference for request in requests if request.state not in selectors.HARVESTABLE_STATES]
    if early:
        return Reason(
            "dialogue_not_held",
            _("An outcome is harvested after the dialogue: %(references)s has no documented outcome yet."),
            article=charter.OUTCOMES_AND_FOLLOW_UP,
            params={"references": ", ".join(early)},
        )
    return None


def public_summary_chosen(flow: OutcomeFlow) -> Reason | None:
    """A restricted outcome says publicly only what was explicitly chosen to be said."""
    case = flow.case
    if case.visibility == HarvestedOutcome.Visibility.RESTRICTED and not (
        case.public_summary.strip() or case.public_summary_ar.strip()
    ):
        return Reason(
            "public_summary_missing",
            _("A restricted outcome needs a public summary: what may be said about it publicly."),
            article=charter.ACCESS_TO_INFORMATION,
        )
    return None


def restricted_dialogues_stay_restricted(flow: OutcomeFlow) -> Reason | None:
    """What a restricted dialogue produced is published only by a public summary."""
    case = flow.case
    if case.visibility == HarvestedOutcome.Visibility.RESTRICTED:
        return None
    if case.requests.filter(outcome__visibility="restricted").exists():
        return Reason(
            "restricted_dialogue",
            _("A dialogue this outcome comes from has a restricted outcome: the outcome must be restricted too."),
            article=charter.ACCESS_TO_INFORMATION,
        )
    return None


def action_of_same_request(flow: RecommendationFlow) -> Reason | None:
    item = (flow.data or {}).get("action_item")
    if item is not None and item.request_id != flow.case.request_id:
        return Reason("other_request", _("Link a follow-up action of the same dialogue request."))
    return None


# --- the harvested outcome ---------------------------------------------------------------------


@register
class OutcomeFlow(Flow):
    model = HarvestedOutcome
    state = State(str, default=DRAFT)
    state_labels = {
        DRAFT: _("Draft"),
        SUBMITTED: _("Submitted for substantiation"),
        SUBSTANTIATED: _("Substantiated"),
        DISPUTED: _("Disputed"),
        PUBLISHED: _("Published"),
        WITHDRAWN: _("Withdrawn"),
    }
    final_states = frozenset({PUBLISHED, WITHDRAWN})

    @transition(
        state,
        source=DRAFT,
        target=SUBMITTED,
        label=_("Submit for substantiation"),
        roles=[harvester, secretariat],
        guards=[requests_after_dialogue, public_summary_chosen],
    )
    def submit(self) -> None:
        """An independent substantiator now confirms, qualifies or disputes the outcome."""
        self.case.submitted_at = self.clock()

    @transition(
        state,
        source=SUBMITTED,
        target=chosen_target(
            lambda flow, verdict="", **_: DISPUTED if verdict == HarvestedOutcome.Verdict.DISPUTED else SUBSTANTIATED,
            SUBSTANTIATED,
            DISPUTED,
        ),
        label=_("Substantiate"),
        roles=[substantiator],
        form=forms.SubstantiateForm,
        description=_("Confirm, confirm with a qualification, or dispute the outcome."),
    )
    def substantiate(self, *, verdict: str, note: str = "") -> dict[str, Any]:
        self.case.verdict = verdict
        self.case.verdict_note = note
        self.case.substantiated_by = self.user
        self.case.substantiated_at = self.clock()
        return {"verdict": verdict}

    @transition(
        state,
        source=SUBSTANTIATED,
        target=PUBLISHED,
        label=_("Publish"),
        roles=[secretariat],
        guards=[public_summary_chosen, restricted_dialogues_stay_restricted],
    )
    def publish(self) -> None:
        """Public outcomes appear in full on the transparency portal, restricted ones by their public summary."""
        self.case.published_at = self.clock()

    @transition(
        state,
        source=[DRAFT, SUBMITTED, SUBSTANTIATED, DISPUTED],
        target=WITHDRAWN,
        label=_("Withdraw"),
        roles=[harvester, secretariat],
        form=forms.ReasonForm,
    )
    def withdraw(self, *, reason: str) -> None:
        self.case.withdraw_reason = reason

    # Rows written by their services (fields, files), declared here for who may take them and when.

    @action(source=DRAFT, label=_("Draft edited"), roles=[harvester, secretariat])
    def update(self) -> None:
        """The harvester edits the draft; the changed fields are audited."""

    @action(source=[DRAFT, SUBMITTED], label=_("Evidence added"), roles=[harvester, secretariat])
    def evidence_added(self) -> None:
        """A supporting document, checked like every upload."""

    @classmethod
    def viewer_ids(cls, case: Any, user_ids: Any) -> set[int]:
        ids = list(user_ids)
        users = get_user_model().objects.filter(pk__in=ids, is_active=True)
        if case.state == PUBLISHED and case.visibility == HarvestedOutcome.Visibility.PUBLIC:
            return set(users.values_list("pk", flat=True))
        seen = Q(pk=case.harvested_by_id) | Q(platform_roles__role__in=OVERSIGHT_ROLES)
        if case.state != DRAFT:
            parties = selectors.party_organization_ids(case)
            seen |= Q(memberships__organization_id__in=parties, memberships__active=True)
            seen |= Q(groups__name=selectors.SUBSTANTIATORS_GROUP)
        return set(users.filter(seen).values_list("pk", flat=True).distinct())

    def can_view(self) -> bool:
        return selectors.visible_outcomes(self.user).filter(pk=self.case.pk).exists()

    def audience(self, name: str) -> list[Any]:
        return list(outcome_audience(self.case, name))


def outcome_audience(case: HarvestedOutcome, name: str) -> QuerySet[Any]:
    users = get_user_model().objects.filter(is_active=True)
    if name == "harvester":
        return users.filter(pk=case.harvested_by_id)
    if name == "secretariat":
        return users.filter(
            platform_roles__role__in=[PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD]
        ).distinct()
    if name == "secretariat_lead":
        return users.filter(platform_roles__role=PlatformRole.Role.SECRETARIAT_LEAD).distinct()
    if name == "substantiators":
        candidates = users.filter(groups__name=selectors.SUBSTANTIATORS_GROUP).distinct()
        return candidates.filter(pk__in=[u.pk for u in candidates if selectors.is_independent(case, u)])
    if name == "parties":
        return users.filter(
            memberships__organization_id__in=selectors.party_organization_ids(case),
            memberships__role=Membership.Role.COORDINATOR,
            memberships__active=True,
        ).distinct()
    return users.none()


# --- the recommendation --------------------------------------------------------------------------


@register
class RecommendationFlow(Flow):
    model = Recommendation
    state = State(str, default=NOT_STARTED)
    state_labels = {
        NOT_STARTED: _("Not started"),
        IN_PROGRESS: _("In progress"),
        IMPLEMENTED: _("Implemented"),
        NOT_IMPLEMENTED: _("Not implemented"),
    }
    final_states = frozenset()

    @transition(
        state,
        source=STATUSES,
        target=chosen_target(lambda flow, status="", **_: status if status in STATUSES else IN_PROGRESS, *STATUSES),
        label=_("Report progress"),
        roles=[owner_coordinator, secretariat],
        form=forms.ProgressForm,
        on_success=effects.progress_written,
        description=_("A dated note with the status and the share done (0–100%)."),
    )
    def progress_reported(self, *, status: str, progress: int, note: str) -> dict[str, Any]:
        before = self.case.progress
        self.case.progress = progress
        self.case.progress_updated_at = self.clock()
        return {"progress_from": before, "progress": progress}

    @action(
        source=STATUSES,
        label=_("Owner assigned"),
        roles=[secretariat],
        form=forms.OwnerForm,
        on_success=effects.owner_written,
    )
    def owner_assigned(self, *, organization: Any) -> dict[str, Any]:
        return {"organization": organization.pk}

    @action(
        source=STATUSES,
        label=_("Follow-up action linked"),
        roles=[owner_coordinator, secretariat],
        guards=[action_of_same_request],
        form=forms.LinkActionForm,
        on_success=effects.action_linked_written,
    )
    def action_linked(self, *, action_item: Any) -> dict[str, Any]:
        return {"action_item": action_item.pk}

    @action(
        source=STATUSES,
        label=_("Wording edited"),
        roles=[secretariat],
        form=forms.WordingForm,
        on_success=effects.wording_written,
    )
    def wording_edited(self, *, text: str = "", text_ar: str = "") -> dict[str, Any]:
        return {"text": text, "text_ar": text_ar}

    events = (EventSpec("outcome_linked", _("Outcome linked")),)

    @classmethod
    def viewer_ids(cls, case: Any, user_ids: Any) -> set[int]:
        users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)
        if selectors.recommendation_is_public(case):
            return set(users.values_list("pk", flat=True))
        return {user.pk for user in users if cls(case, user).can_view()}

    def can_view(self) -> bool:
        return selectors.visible_recommendations(self.user).filter(pk=self.case.pk).exists()

    def audience(self, name: str) -> list[Any]:
        users = get_user_model().objects.filter(is_active=True)
        if name == "owner":
            return list(
                users.filter(
                    memberships__organization_id=self.case.owner_organization_id,
                    memberships__role=Membership.Role.COORDINATOR,
                    memberships__active=True,
                ).distinct()
            )
        if name == "secretariat":
            return list(
                users.filter(
                    platform_roles__role__in=[PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD]
                ).distinct()
            )
        return []
