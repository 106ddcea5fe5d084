"""JSON shapes of the outcome register API: answers rendered from the models, request bodies typed for the schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.inputs import StrictCharField, StrictChoiceField, StrictDateField
from partners.models import Side

from ..flows import OutcomeFlow, RecommendationFlow
from ..models import Evidence, HarvestedOutcome, ProgressNote, Recommendation


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "name", "content_type", "size", "sha256", "description", "uploaded_at"]


class HarvestedOutcomeSerializer(serializers.ModelSerializer):
    state_label = serializers.SerializerMethodField()
    theme = serializers.CharField(source="theme.code")
    harvested_by = serializers.CharField(source="harvested_by.username")
    requests = serializers.SerializerMethodField()
    recommendations = serializers.SerializerMethodField()
    evidence_documents = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = HarvestedOutcome
        fields = [
            "reference",
            "state",
            "state_label",
            "version",
            "title",
            "social_actor",
            "actor_side",
            "change",
            "changed_on",
            "place",
            "significance",
            "contribution",
            "evidence_links",
            "evidence_documents",
            "change_type",
            "theme",
            "requests",
            "recommendations",
            "visibility",
            "public_summary",
            "public_summary_ar",
            "harvested_by",
            "submitted_at",
            "verdict",
            "verdict_note",
            "substantiated_at",
            "published_at",
            "withdraw_reason",
            "created_at",
            "updated_at",
        ]

    def get_state_label(self, outcome: HarvestedOutcome) -> str:
        return str(OutcomeFlow.state_labels.get(outcome.state, outcome.state))

    def get_requests(self, outcome: HarvestedOutcome) -> list[str]:
        return sorted(request.reference for request in outcome.requests.all())

    def get_recommendations(self, outcome: HarvestedOutcome) -> list[str]:
        return sorted(item.reference for item in outcome.recommendations.all())


class ProgressNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressNote
        fields = ["at", "status_from", "status_to", "progress_from", "progress_to", "note"]


class RecommendationSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="state")
    status_label = serializers.SerializerMethodField()
    request = serializers.SerializerMethodField()
    owner_organization = serializers.SerializerMethodField()
    progress_notes = ProgressNoteSerializer(many=True, read_only=True)
    action_items = serializers.SerializerMethodField()
    outcomes = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "reference",
            "status",
            "status_label",
            "version",
            "text",
            "text_ar",
            "request",
            "owner_organization",
            "progress",
            "progress_updated_at",
            "progress_notes",
            "action_items",
            "outcomes",
            "created_at",
            "updated_at",
        ]

    def get_status_label(self, item: Recommendation) -> str:
        return str(RecommendationFlow.state_labels.get(item.state, item.state))

    def get_request(self, item: Recommendation) -> str | None:
        request: Any = item.request
        return request.reference if request is not None else None

    def get_owner_organization(self, item: Recommendation) -> dict[str, Any] | None:
        owner: Any = item.owner_organization
        if owner is None:
            return None
        return {"id": owner.pk, "name": owner.name, "name_ar": owner.name_ar}

    def get_action_items(self, item: Recommendation) -> list[int]:
        return sorted(action.pk for action in item.action_items.all())

    def get_outcomes(self, item: Recommendation) -> list[str]:
        """Published harvested outcomes that show the recommendation's effect."""
        return sorted(outcome.reference for outcome in item.outcomes.all() if outcome.state == "published")


class HarvestInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    social_actor = StrictCharField(max_length=300, help_text="Who changed: one social actor.")
    actor_side = StrictChoiceField(choices=Side.choices)
    change = StrictCharField(help_text="What changed.")
    changed_on = StrictDateField(help_text="When it changed (not in the future).")
    place = StrictCharField(max_length=200, help_text="Where it changed.")
    significance = StrictCharField()
    contribution = StrictCharField(help_text="How the dialogue contributed.")
    evidence_links = serializers.ListField(child=StrictCharField(), required=False, help_text="http(s) links.")
    change_type = StrictChoiceField(choices=HarvestedOutcome.ChangeType.choices)
    theme = StrictCharField(help_text="A theme code.")
    requests = serializers.ListField(
        child=StrictCharField(), help_text="References of dialogue requests whose outcome is documented."
    )
    recommendations = serializers.ListField(
        child=StrictCharField(), required=False, help_text="References of recommendations (RC-...)."
    )
    visibility = StrictChoiceField(choices=HarvestedOutcome.Visibility.choices, required=False)
    public_summary = StrictCharField(required=False, allow_blank=True, help_text="Required when restricted.")
    public_summary_ar = StrictCharField(required=False, allow_blank=True)
