"""Reads of the outcome register; the public ones are what the reports, the portal and the exports use."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q, QuerySet

from partners.selectors import user_access
from workflows.partnership import committee
from workflows.partnership.models import DialogueRequest
from workflows.partnership.models import Outcome as DialogueOutcome
from workflows.partnership.selectors import visible_requests

from .models import HarvestedOutcome, ProgressNote, Recommendation

#: Django group of the independent reviewers who substantiate harvested outcomes
SUBSTANTIATORS_GROUP = "outcome_substantiators"
#: a dialogue's outcome is documented: outcomes may be harvested from then on
HARVESTABLE_STATES = ("outcome_documented", "follow_up", "closed")
OVERSIGHT = {"secretariat", "secretariat_lead", "auditor"}


def is_oversight(user: Any) -> bool:
    return bool(user_access(user).roles & OVERSIGHT)


def is_substantiator(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.groups.filter(name=SUBSTANTIATORS_GROUP).exists())


def substantiators_group() -> Group:
    group, _ = Group.objects.get_or_create(name=SUBSTANTIATORS_GROUP)
    return group


def party_organization_ids(outcome: HarvestedOutcome) -> set[int]:
    ids: set[int] = set()
    for request in outcome.requests.all():
        ids |= set(committee.party_organization_ids(request))
    return ids


def is_independent(outcome: HarvestedOutcome, user: Any) -> bool:
    """Neither the harvester nor a member of an organization party to a linked dialogue."""
    if outcome.harvested_by_id == user.pk:
        return False
    return not (user_access(user).organization_ids & party_organization_ids(outcome))


def _outcomes() -> QuerySet[HarvestedOutcome]:
    return HarvestedOutcome.objects.select_related("theme", "harvested_by").prefetch_related(
        "requests", "recommendations"
    )


def published_outcomes() -> QuerySet[HarvestedOutcome]:
    """Published outcomes (public ones in full; restricted ones may only show their public summary)."""
    return _outcomes().filter(state="published").order_by("-published_at", "-id")


def visible_outcomes(user: Any) -> QuerySet[HarvestedOutcome]:
    """What ``user`` may see: published public outcomes for everyone; the harvester's own; the secretariat and
    auditors everything; parties to a linked dialogue and substantiators once submitted."""
    public = Q(state="published", visibility=HarvestedOutcome.Visibility.PUBLIC)
    if user is None or not getattr(user, "is_authenticated", False):
        return _outcomes().filter(public)
    if is_oversight(user):
        return _outcomes()
    seen = public | Q(harvested_by=user)
    if is_substantiator(user):
        seen |= ~Q(state="draft")
    organizations = user_access(user).organization_ids
    if organizations:
        party = Q(requesting_organization_id__in=organizations) | Q(
            counterpart_organizations__in=organizations, accepted_at__isnull=False
        )
        requests = DialogueRequest.objects.filter(party).values("pk")
        seen |= ~Q(state="draft") & Q(requests__in=requests)
    return _outcomes().filter(pk__in=HarvestedOutcome.objects.filter(seen).values("pk"))


def harvestable_requests(user: Any) -> QuerySet[DialogueRequest]:
    """Requests ``user`` sees whose dialogue is over (outcome documented): what an outcome may be linked to."""
    if user is None or not getattr(user, "is_authenticated", False):
        return DialogueRequest.objects.none()
    return visible_requests(user).filter(state__in=HARVESTABLE_STATES)


def may_harvest(user: Any) -> bool:
    return harvestable_requests(user).exists()


# --- recommendations -----------------------------------------------------------------------------


def _public_request() -> Q:
    return Q(request__published=True, request__outcome__visibility=DialogueOutcome.Visibility.PUBLIC)


def recommendation_is_public(recommendation: Recommendation) -> bool:
    return Recommendation.objects.filter(_public_request(), pk=recommendation.pk).exists()


def _recommendations() -> QuerySet[Recommendation]:
    return Recommendation.objects.select_related("request", "owner_organization").prefetch_related(
        Prefetch("progress_notes", queryset=ProgressNote.objects.order_by("at", "id")), "action_items"
    )


def public_recommendations() -> QuerySet[Recommendation]:
    """Recommendations of published public dialogue outcomes, with their progress history."""
    return _recommendations().filter(_public_request()).order_by("request_id", "position", "id")


def visible_recommendations(user: Any) -> QuerySet[Recommendation]:
    if user is None or not getattr(user, "is_authenticated", False):
        return _recommendations().filter(_public_request())
    if is_oversight(user):
        return _recommendations()
    seen = (
        _public_request()
        | Q(request__in=visible_requests(user).values("pk"))
        | Q(owner_organization_id__in=user_access(user).organization_ids)
    )
    return _recommendations().filter(pk__in=Recommendation.objects.filter(seen).values("pk"))


def public_progress_notes() -> QuerySet[ProgressNote]:
    return (
        ProgressNote.objects.filter(recommendation__in=public_recommendations().values("pk"))
        .select_related("recommendation")
        .order_by("at", "id")
    )


# --- for reports (programme report, per-request dialogue report) -------------------------------------


def recommendations_of_request(request: DialogueRequest) -> QuerySet[Recommendation]:
    """A dialogue's tracked recommendations in their order, with owner and progress history (not filtered:
    the caller decides from the request's own visibility)."""
    return _recommendations().filter(request=request).order_by("position", "id")


def published_outcomes_of_request(request: DialogueRequest) -> QuerySet[HarvestedOutcome]:
    """Published harvested outcomes linked to ``request`` (restricted ones may only show their public summary)."""
    return published_outcomes().filter(requests=request)


def published_outcomes_between(start: Any, end: Any) -> QuerySet[HarvestedOutcome]:
    """Outcomes published in [start, end) (datetimes), for a programme report's period."""
    return published_outcomes().filter(published_at__gte=start, published_at__lt=end)
