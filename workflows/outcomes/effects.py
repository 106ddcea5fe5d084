"""Rows each unit of the outcome register writes, in its transaction; and the hook that turns a documented
dialogue outcome's recommendations into trackable items."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from engine.models import AuditEvent

ARABIC = re.compile(r"[\u0600-\u06FF]")


def progress_written(flow: Any, event: AuditEvent) -> None:
    from .models import ProgressNote

    data = event.data
    ProgressNote.objects.create(
        recommendation=flow.case,
        status_from=event.from_state,
        status_to=event.to_state,
        progress_from=data.get("progress_from", 0),
        progress_to=data["progress"],
        note=data["note"],
        by=flow.user,
        at=event.occurred_at,
        audit_seq=event.seq,
    )
    type(flow.case).objects.filter(pk=flow.case.pk).update(
        progress=data["progress"], progress_updated_at=event.occurred_at
    )


def owner_written(flow: Any, event: AuditEvent) -> None:
    organization = event.data["organization"]
    type(flow.case).objects.filter(pk=flow.case.pk).update(owner_organization_id=organization)
    flow.case.owner_organization_id = organization


def action_linked_written(flow: Any, event: AuditEvent) -> None:
    flow.case.action_items.add(event.data["action_item"])


def wording_written(flow: Any, event: AuditEvent) -> None:
    text, text_ar = event.data.get("text") or "", event.data.get("text_ar") or ""
    type(flow.case).objects.filter(pk=flow.case.pk).update(text=text, text_ar=text_ar)
    flow.case.text, flow.case.text_ar = text, text_ar


def split_language(text: str) -> tuple[str, str]:
    """(English, Arabic): a recommendation written in Arabic script goes to the Arabic wording."""
    text = (text or "").strip()
    return ("", text) if ARABIC.search(text) else (text, "")


def track_recommendations(outcome: Any, *, actor: Any = None) -> list[Any]:
    """One trackable item per recommendation of a documented dialogue outcome (idempotent)."""
    import engine

    from .models import Recommendation

    actor = actor or outcome.documented_by
    made = []
    existing = set(Recommendation.objects.filter(source_outcome=outcome).values_list("position", flat=True))
    for position, text in enumerate(outcome.recommendations or []):
        if position in existing or not str(text).strip():
            continue
        english, arabic = split_language(str(text))
        made.append(
            engine.create_case(
                Recommendation,
                actor=actor,
                data={"request": outcome.request.reference, "position": position},
                request=outcome.request,
                source_outcome=outcome,
                position=position,
                text=english,
                text_ar=arabic,
            )
        )
    return made


def _outcome_documented(sender: Any, instance: Any, created: bool, raw: bool = False, **_: Any) -> None:
    if created and not raw:
        with transaction.atomic():
            track_recommendations(instance)


def connect() -> None:
    from workflows.partnership.models import Outcome

    post_save.connect(_outcome_documented, sender=Outcome, dispatch_uid="outcomes.track_recommendations")
