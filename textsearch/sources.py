"""The partnership's searchable text: each request, and its outcome when the outcome is public.

A restricted outcome's text is not indexed at all, so a search can never reveal what it says. The
outcome register and trackable recommendations (another workflow) add their own sources from their
app's ``ready()``: ``index.register(source)`` then ``sources.watch(source)``, with ``case_of`` naming
the case a match leads to (a harvested outcome linked to several requests can register one source
per link, or point at its own case type and be searched with ``index.search`` over its own
visibility selector).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from . import index

_REQUEST_FIELDS = ("reference", "title", "summary", "policy_question", "requesting_organization_id")


def _request_source() -> index.Source:
    from workflows.partnership.models import DialogueRequest

    def text_of(request: Any) -> str:
        organization = request.requesting_organization
        return index.joined(
            request.reference,
            request.title,
            request.summary,
            request.policy_question,
            organization.name,
            organization.name_ar,
            organization.acronym,
        )

    return index.Source(
        name="request",
        model=DialogueRequest,
        case_of=lambda request: (DialogueRequest.case_type(), request.pk),
        text_of=text_of,
        rows=lambda: DialogueRequest.objects.select_related("requesting_organization").order_by("pk").iterator(),
        watched=_REQUEST_FIELDS,
    )


def _outcome_source() -> index.Source:
    from workflows.partnership.models import DialogueRequest, Outcome

    def text_of(outcome: Any) -> str | None:
        if outcome.visibility != Outcome.Visibility.PUBLIC:
            return None
        return index.joined(
            outcome.summary,
            list(outcome.recommendations or []),
            outcome.agreements,
            outcome.what_changed,
            outcome.who_changed,
            outcome.significance,
            outcome.contribution,
        )

    return index.Source(
        name="outcome",
        model=Outcome,
        case_of=lambda outcome: (DialogueRequest.case_type(), outcome.request_id),
        text_of=text_of,
        rows=lambda: Outcome.objects.order_by("pk").iterator(),
    )


def _snapshot(source: index.Source, instance: Any) -> tuple[Any, ...]:
    # From __dict__: reading a deferred attribute here would cost a query per loaded row.
    return tuple(instance.__dict__.get(name) for name in source.watched)


def watch(source: index.Source) -> None:
    """Keep ``source``'s entries written on save and removed on delete (call once, from ``ready()``)."""
    uid = f"textsearch:{source.name}"

    def remember(sender: Any, instance: Any, **kwargs: Any) -> None:
        instance._textsearch_snapshot = _snapshot(source, instance)

    def saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
        if raw:
            return
        if source.watched:
            now = _snapshot(source, instance)
            if not created and getattr(instance, "_textsearch_snapshot", None) == now:
                return
            instance._textsearch_snapshot = now
        index.write(source, instance)

    def deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
        index.remove(source, instance.pk)

    if source.watched:
        post_init.connect(remember, sender=source.model, weak=False, dispatch_uid=uid)
    post_save.connect(saved, sender=source.model, weak=False, dispatch_uid=uid)
    post_delete.connect(deleted, sender=source.model, weak=False, dispatch_uid=uid)


def _organization_renamed(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """An organization's names are in its requests' text: rewrite those entries."""
    if created or raw:
        return
    source = index.SOURCES["request"]
    for request in source.model.objects.filter(requesting_organization=instance).select_related(
        "requesting_organization"
    ):
        index.write(source, request)


def _register_sources() -> list[index.Source]:
    """The outcome register's text, when that workflow is installed, found through the linked requests.

    A harvested outcome is indexed once published and public (its text is then public), under every
    request it is linked to; a tracked recommendation (English and Arabic wording) when its dialogue's
    outcome is public, as the dialogue outcome's own recommendations are.
    """
    from django.apps import apps

    from workflows.partnership.models import DialogueRequest, Outcome

    if not apps.is_installed("workflows.outcomes"):
        return []
    request_type = DialogueRequest.case_type()
    from workflows.outcomes.models import HarvestedOutcome, Recommendation

    def harvested_text(outcome: Any) -> str | None:
        if outcome.state != "published" or outcome.visibility != HarvestedOutcome.Visibility.PUBLIC:
            return None
        return index.joined(
            outcome.reference,
            outcome.title,
            outcome.social_actor,
            outcome.change,
            outcome.place,
            outcome.significance,
            outcome.contribution,
        )

    def recommendation_text(recommendation: Any) -> str | None:
        public = Outcome.objects.filter(
            request_id=recommendation.request_id, visibility=Outcome.Visibility.PUBLIC
        ).exists()
        return index.joined(recommendation.text, recommendation.text_ar) if public else None

    harvested = index.Source(
        name="harvested_outcome",
        model=HarvestedOutcome,
        case_of=lambda outcome: (request_type, 0),
        cases_of=lambda outcome: [(request_type, pk) for pk in outcome.requests.values_list("pk", flat=True)],
        text_of=harvested_text,
        rows=lambda: HarvestedOutcome.objects.order_by("pk").iterator(),
    )
    recommendation = index.Source(
        name="recommendation",
        model=Recommendation,
        case_of=lambda item: (request_type, item.request_id),
        text_of=recommendation_text,
        rows=lambda: Recommendation.objects.order_by("pk").iterator(),
    )

    def relinked(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
        if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, HarvestedOutcome):
            index.write(harvested, instance)

    m2m_changed.connect(
        relinked, sender=HarvestedOutcome.requests.through, weak=False, dispatch_uid="textsearch:harvested:links"
    )
    return [harvested, recommendation]


def connect() -> None:
    from partners.models import Organization

    for source in (_request_source(), _outcome_source(), *_register_sources()):
        index.register(source)
        watch(source)
    post_save.connect(_organization_renamed, sender=Organization, weak=False, dispatch_uid="textsearch:organization")
