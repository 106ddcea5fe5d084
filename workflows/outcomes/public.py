"""What the public may read of the outcome register: rows for the transparency pages and the open-data exports.

A published public outcome is shown in full; a published restricted one only by the public summary chosen for
it; nothing else (drafts, submissions, disputed or withdrawn outcomes) ever appears. The schema of each row is
documented in docs/open-data.md: change it there too.
"""

from __future__ import annotations

from typing import Any

from .models import HarvestedOutcome, ProgressNote, Recommendation
from .selectors import public_progress_notes, public_recommendations, published_outcomes

OUTCOME_FIELDS = [
    "reference",
    "published_at",
    "visibility",
    "title",
    "social_actor",
    "actor_side",
    "change",
    "changed_on",
    "place",
    "significance",
    "contribution",
    "change_type",
    "theme",
    "substantiation",
    "substantiation_note",
    "public_summary",
    "public_summary_ar",
    "requests",
    "recommendations",
    "evidence_links",
]
RECOMMENDATION_FIELDS = [
    "reference",
    "request",
    "text",
    "text_ar",
    "owner_organization",
    "owner_organization_ar",
    "status",
    "progress",
    "progress_updated_at",
    "outcomes",
]
PROGRESS_FIELDS = ["recommendation", "at", "status_from", "status_to", "progress_from", "progress_to", "note"]
#: fields a restricted outcome publishes: only what was chosen to be said, and how it is classified
RESTRICTED_FIELDS = {
    "reference",
    "published_at",
    "visibility",
    "actor_side",
    "change_type",
    "theme",
    "public_summary",
    "public_summary_ar",
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def outcome_row(outcome: HarvestedOutcome) -> dict[str, Any]:
    row: dict[str, Any] = {
        "reference": outcome.reference,
        "published_at": _iso(outcome.published_at),
        "visibility": outcome.visibility,
        "title": outcome.title,
        "social_actor": outcome.social_actor,
        "actor_side": outcome.actor_side,
        "change": outcome.change,
        "changed_on": _iso(outcome.changed_on),
        "place": outcome.place,
        "significance": outcome.significance,
        "contribution": outcome.contribution,
        "change_type": outcome.change_type,
        "theme": outcome.theme.code,
        "substantiation": outcome.verdict,
        "substantiation_note": outcome.verdict_note,
        "public_summary": outcome.public_summary,
        "public_summary_ar": outcome.public_summary_ar,
        "requests": sorted(request.reference for request in outcome.requests.all() if request.published),
        "recommendations": sorted(item.reference for item in outcome.recommendations.all()),
        "evidence_links": list(outcome.evidence_links or []),
    }
    if outcome.visibility == HarvestedOutcome.Visibility.RESTRICTED:
        row = {name: (value if name in RESTRICTED_FIELDS else None) for name, value in row.items()}
        row["requests"], row["recommendations"], row["evidence_links"] = [], [], []
    return row


def recommendation_row(item: Recommendation) -> dict[str, Any]:
    owner: Any = item.owner_organization
    request: Any = item.request
    return {
        "reference": item.reference,
        "request": request.reference if request is not None else None,
        "text": item.text,
        "text_ar": item.text_ar,
        "owner_organization": owner.name if owner is not None else None,
        "owner_organization_ar": owner.name_ar if owner is not None else None,
        "status": item.state,
        "progress": item.progress,
        "progress_updated_at": _iso(item.progress_updated_at),
        "outcomes": sorted(outcome.reference for outcome in item.outcomes.all() if outcome.state == "published"),
    }


def progress_row(note: ProgressNote) -> dict[str, Any]:
    return {
        "recommendation": note.recommendation.reference,
        "at": _iso(note.at),
        "status_from": note.status_from,
        "status_to": note.status_to,
        "progress_from": note.progress_from,
        "progress_to": note.progress_to,
        "note": note.note,
    }


def outcome_rows() -> list[dict[str, Any]]:
    return [outcome_row(outcome) for outcome in published_outcomes()]


def recommendation_rows() -> list[dict[str, Any]]:
    return [recommendation_row(item) for item in public_recommendations().prefetch_related("outcomes")]


def progress_rows() -> list[dict[str, Any]]:
    return [progress_row(note) for note in public_progress_notes()]


DATASETS = {
    "outcomes": (OUTCOME_FIELDS, outcome_rows),
    "recommendations": (RECOMMENDATION_FIELDS, recommendation_rows),
    "progress": (PROGRESS_FIELDS, progress_rows),
}
