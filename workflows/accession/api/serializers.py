"""JSON shapes of the accession API: the answer rendered from the model, the request body typed for the schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.inputs import StrictCharField, StrictChoiceField

from ..flows import AccessionFlow, MembershipFlow
from ..models import Application, MemberFile


class ApplicationSerializer(serializers.ModelSerializer):
    state_label = serializers.SerializerMethodField()
    applicant = serializers.CharField(source="applicant.username")
    themes = serializers.SerializerMethodField()
    charter_version = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "reference",
            "state",
            "state_label",
            "version",
            "name",
            "name_ar",
            "side",
            "kind",
            "registration_number",
            "themes",
            "contact_email",
            "contact_phone",
            "applicant",
            "organization",
            "charter_version",
            "submitted_at",
            "decided_at",
            "decision_reason",
            "created_at",
            "updated_at",
        ]

    def get_state_label(self, application: Application) -> str:
        return str(AccessionFlow.state_labels.get(application.state, application.state))

    def get_themes(self, application: Application) -> list[str]:
        return [theme.code for theme in application.themes.all()]

    def get_charter_version(self, application: Application) -> int | None:
        version: Any = application.charter_version
        return version.number if version is not None else None


class ApplicationInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200, help_text="The organization's name in English.")
    name_ar = StrictCharField(max_length=200, help_text="The organization's name in Arabic.")
    side = StrictChoiceField(choices=Application.Side.choices)
    kind = StrictChoiceField(choices=Application.Kind.choices)
    registration_number = StrictCharField(
        max_length=60, required=False, allow_blank=True, help_text="Required for a CSO."
    )
    themes = serializers.ListField(child=StrictCharField(), required=False, help_text="Theme codes.")
    contact_email = StrictCharField(max_length=254, required=False, allow_blank=True)
    contact_phone = StrictCharField(max_length=40, required=False, allow_blank=True)


class MemberFileSerializer(serializers.ModelSerializer):
    state_label = serializers.SerializerMethodField()
    organization = serializers.IntegerField(source="organization_id")
    organization_name = serializers.CharField(source="organization.name")
    organization_name_ar = serializers.CharField(source="organization.name_ar")
    successor = serializers.SerializerMethodField()

    class Meta:
        model = MemberFile
        fields = [
            "reference",
            "state",
            "state_label",
            "version",
            "organization",
            "organization_name",
            "organization_name_ar",
            "successor",
            "status_reason",
            "created_at",
            "updated_at",
        ]

    def get_state_label(self, member_file: MemberFile) -> str:
        return str(MembershipFlow.state_labels.get(member_file.state, member_file.state))

    def get_successor(self, member_file: MemberFile) -> str | None:
        return member_file.successor.get_username() if member_file.successor_id else None


class MemberFileOpenSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1, max_value=2**62, help_text="The organization's id.")
