"""The writers of the outcome register: thin, named wrappers around the engine."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

import engine
from engine.audit import RequestContext
from engine.errors import InvalidInput
from engine.uploads import UploadRefused, checked_upload

from .forms import HarvestForm
from .models import Evidence, HarvestedOutcome

FIELDS = (
    "title",
    "social_actor",
    "actor_side",
    "change",
    "changed_on",
    "place",
    "significance",
    "contribution",
    "evidence_links",
    "change_type",
    "visibility",
    "public_summary",
    "public_summary_ar",
)


def _errors(form: Any) -> InvalidInput:
    return InvalidInput({name: [str(message) for message in messages] for name, messages in form.errors.items()})


def _audit_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _cleaned(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    form = HarvestForm(data=data, user=actor)
    if not form.is_valid():
        raise _errors(form)
    return dict(form.cleaned_data)


def outcome_harvest(*, actor: Any, data: dict[str, Any], context: RequestContext | None = None) -> HarvestedOutcome:
    """Harvest an outcome (a draft) from dialogues ``actor`` sees whose outcome is documented."""
    fields = _cleaned(actor, data)
    requests, recommendations, theme = fields.pop("requests"), fields.pop("recommendations"), fields.pop("theme")
    audit = {name: _audit_value(value) for name, value in fields.items()}
    audit |= {
        "theme": theme.code,
        "requests": sorted(r.reference for r in requests),
        "recommendations": sorted(r.reference for r in recommendations),
    }
    with transaction.atomic():
        outcome = engine.create_case(
            HarvestedOutcome, actor=actor, context=context, data=audit, harvested_by=actor, theme=theme, **fields
        )
        outcome.requests.set(requests)
        outcome.recommendations.set(recommendations)
        _note_links(outcome, recommendations, actor=actor, context=context)
    return outcome


def _note_links(outcome: HarvestedOutcome, recommendations: Any, *, actor: Any, context: RequestContext | None) -> None:
    """Each recommendation's own chain records the outcome that shows its effect."""
    for item in recommendations:
        engine.record(
            item, "outcome_linked", actor=actor, data={"outcome": outcome.reference}, context=context, notify=False
        )


def outcome_update(
    outcome: HarvestedOutcome, *, actor: Any, data: dict[str, Any], context: RequestContext | None = None
) -> HarvestedOutcome:
    """Edit a draft; the changed fields go into the audit event."""
    engine.authorize(outcome, actor, "update")
    fields = _cleaned(actor, data)
    requests, recommendations, theme = fields.pop("requests"), fields.pop("recommendations"), fields.pop("theme")
    with transaction.atomic():
        locked = engine.lock(outcome)
        changed: dict[str, Any] = {}
        for name, value in fields.items():
            if getattr(locked, name) != value:
                changed[name] = _audit_value(value)
                setattr(locked, name, value)
        if locked.theme_id != theme.pk:
            changed["theme"] = theme.code
            locked.theme = theme
        new_requests = sorted(r.reference for r in requests)
        if sorted(locked.requests.values_list("reference", flat=True)) != new_requests:
            changed["requests"] = new_requests
            locked.requests.set(requests)
        new_recommendations = sorted(r.reference for r in recommendations)
        old_recommendations = set(locked.recommendations.values_list("reference", flat=True))
        if sorted(old_recommendations) != new_recommendations:
            changed["recommendations"] = new_recommendations
            locked.recommendations.set(recommendations)
            added = [r for r in recommendations if r.reference not in old_recommendations]
            _note_links(locked, added, actor=actor, context=context)
        if changed:
            locked.updated_at = timezone.now()
            locked.save()
            engine.record(locked, "update", actor=actor, actor_role="harvester", data=changed, context=context)
    outcome.refresh_from_db()
    return outcome


def evidence_add(
    outcome: HarvestedOutcome,
    *,
    actor: Any,
    file: Any,
    description: str = "",
    context: RequestContext | None = None,
) -> Evidence:
    """Store a checked document (type, size, content, zip bombs: the platform's upload checks) as evidence."""
    engine.authorize(outcome, actor, "evidence_added")
    try:
        name, content_type, size, checksum = checked_upload(file)
    except UploadRefused as refused:
        raise InvalidInput({"file": [str(refused)]}) from None
    with transaction.atomic():
        engine.lock(outcome)
        evidence = Evidence(
            outcome=outcome,
            name=name,
            content_type=content_type,
            size=size,
            sha256=checksum,
            description=(description or "").strip()[:300],
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        evidence.file.save(name, file, save=False)
        evidence.save()
        engine.record(
            outcome,
            "evidence_added",
            actor=actor,
            data={"evidence": evidence.pk, "name": name, "size": size, "sha256": checksum, "type": content_type},
            context=context,
        )
    return evidence
