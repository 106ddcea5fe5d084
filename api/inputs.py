"""Request serializers generated from a transition's Django form.

The form stays the one validator of a transition's fields (the engine runs it); the serializer built
here is the typed gate in front of it and the OpenAPI description of the body: JSON types are checked
strictly (a number is not a string, ``"1"`` is not a number), unknown fields are refused, and the
schema follows the form, so adding a field to a form adds it to the API and its documentation.

A form field can choose its API field by carrying ``api_field`` (a DRF field instance or a callable
returning one), a workflow can map its custom form field classes with ``register_field``; otherwise
the mapping below applies, and anything unrecognised accepts any JSON value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .errors import ApiError, flatten_errors


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        return super().to_internal_value(value)


class StrictDateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictChoiceField(serializers.ChoiceField):
    """A choice whose JSON type must match the choice's type (no ``1`` for ``"1"``)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid_choice", input=data)
        if data not in self.choices:
            self.fail("invalid_choice", input=data)
        return data


def _flat_choices(choices: Iterable[Any]) -> list[tuple[Any, Any]]:
    flat: list[tuple[Any, Any]] = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            flat.extend(_flat_choices(label))
        elif value not in ("", None):
            flat.append((value, label))
    return flat


def _common(field: forms.Field) -> dict[str, Any]:
    options: dict[str, Any] = {"required": bool(field.required)}
    if field.label:
        options["label"] = field.label
    if field.help_text:
        options["help_text"] = field.help_text
    return options


def _pk_field(field: forms.ModelChoiceField) -> serializers.Field:
    model_field = field.queryset.model._meta.get_field(field.to_field_name or "pk") if field.to_field_name else None
    model_field = model_field or field.queryset.model._meta.pk
    if model_field.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField"}:
        return StrictIntegerField(min_value=1)
    return StrictCharField(max_length=getattr(model_field, "max_length", None) or 200)


FieldMapper = Callable[[forms.Field, dict[str, Any]], serializers.Field]
_mappers: list[tuple[type[forms.Field], FieldMapper]] = []


def register_field(form_field_class: type[forms.Field]) -> Callable[[FieldMapper], FieldMapper]:
    """Decorator: ``mapper(form_field, common_options)`` types a workflow's custom form field in JSON."""

    def decorate(mapper: FieldMapper) -> FieldMapper:
        _mappers.insert(0, (form_field_class, mapper))
        return mapper

    return decorate


def api_field_for(field: forms.Field) -> serializers.Field:
    """The DRF field that types ``field`` in JSON."""
    custom = getattr(field, "api_field", None)
    if custom is not None:
        return custom() if callable(custom) and not isinstance(custom, serializers.Field) else custom
    common = _common(field)
    for form_field_class, mapper in _mappers:
        if isinstance(field, form_field_class):
            return mapper(field, common)
    if isinstance(field, forms.ModelMultipleChoiceField):
        child = _pk_field(field)
        return serializers.ListField(child=child, allow_empty=not field.required, max_length=1000, **common)
    if isinstance(field, forms.ModelChoiceField):
        pk = _pk_field(field)
        pk.required = common["required"]
        pk.allow_null = not field.required
        if "label" in common:
            pk.label = common["label"]
        if "help_text" in common:
            pk.help_text = common["help_text"]
        return pk
    if isinstance(field, forms.MultipleChoiceField):
        child = StrictChoiceField(choices=_flat_choices(field.choices))
        return serializers.ListField(child=child, allow_empty=not field.required, **common)
    if isinstance(field, forms.ChoiceField):
        return StrictChoiceField(
            choices=_flat_choices(field.choices),
            allow_blank=not field.required,
            allow_null=not field.required,
            **common,
        )
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return StrictBooleanField(**{**common, "required": False})
    if isinstance(field, forms.IntegerField):
        return StrictIntegerField(
            min_value=getattr(field, "min_value", None),
            max_value=getattr(field, "max_value", None),
            allow_null=not field.required,
            **common,
        )
    if isinstance(field, forms.FloatField | forms.DecimalField):
        return StrictFloatField(allow_null=not field.required, **common)
    if isinstance(field, forms.DateTimeField):
        return StrictDateTimeField(allow_null=not field.required, **common)
    if isinstance(field, forms.DateField):
        return StrictDateField(allow_null=not field.required, **common)
    if isinstance(field, forms.JSONField):
        return serializers.JSONField(**common)
    if isinstance(field, forms.EmailField):
        return serializers.EmailField(max_length=field.max_length, allow_blank=not field.required, **common)
    if isinstance(field, forms.CharField):
        return StrictCharField(
            max_length=field.max_length,
            min_length=field.min_length,
            allow_blank=not field.required,
            allow_null=not field.required,
            trim_whitespace=False,
            **common,
        )
    return serializers.JSONField(**common)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def serializer_for_form(form_class: type[forms.BaseForm] | None, name: str) -> type[serializers.Serializer]:
    """A serializer class named ``name`` typing the fields of ``form_class`` (an empty one if None)."""
    attrs: dict[str, Any] = {}
    if form_class is not None:
        for field_name, field in form_class.base_fields.items():
            attrs[field_name] = api_field_for(field)
    attrs["__doc__"] = (form_class.__doc__ or "") if form_class is not None else ""
    return type(_camel(name), (serializers.Serializer,), attrs)


def check_body(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Refuse a body that is not an object, has unknown fields or wrong types; return it as a dict.

    Missing fields are left to the form, which the engine runs after its state and role checks, so
    a caller who may not act hears that first rather than which fields it forgot.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ApiError("invalid", errors={"non_field_errors": [str(_("Send a JSON object."))]})
    serializer = serializer_class(data=data, partial=True)
    errors = {} if serializer.is_valid() else flatten_errors(serializer.errors)
    for name in sorted(set(data) - set(serializer.fields)):
        errors[str(name)] = [str(_("Unknown field."))]
    if errors:
        raise ApiError("invalid", errors=errors)
    return data
