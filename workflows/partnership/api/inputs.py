"""How the partnership forms' own field types look in JSON (for the generated transition bodies)."""

from __future__ import annotations

from typing import Any

from django import forms
from rest_framework import serializers

from api.inputs import StrictCharField, StrictIntegerField, register_field

from ..forms import IdListField, PeopleField, TextListField, ThemeField


@register_field(IdListField)
def id_list(field: forms.Field, common: dict[str, Any]) -> serializers.Field:
    return serializers.ListField(
        child=StrictIntegerField(min_value=1), allow_empty=not field.required, max_length=1000, **common
    )


@register_field(TextListField)
def text_list(field: forms.Field, common: dict[str, Any]) -> serializers.Field:
    return serializers.ListField(child=StrictCharField(max_length=2000), max_length=200, **common)


@register_field(ThemeField)
def theme(field: forms.Field, common: dict[str, Any]) -> serializers.Field:
    return StrictCharField(max_length=40, **{**common, "help_text": "Theme code, e.g. `juvenile-justice`."})


@register_field(PeopleField)
def people(field: forms.Field, common: dict[str, Any]) -> serializers.Field:
    # Each person's fields are checked by the domain's form (PersonForm), with field errors per person.
    return serializers.ListField(
        child=serializers.DictField(),
        max_length=PeopleField.max_people,
        **{
            **common,
            "help_text": "Walk-ins: objects with name, organization (id) or organization_name, side, gender, role.",
        },
    )
