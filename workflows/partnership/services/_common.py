"""Helpers shared by the partnership services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from engine.errors import InvalidInput, NotPermitted
from engine.reasons import Reason


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {name: [str(message) for message in messages] for name, messages in form.errors.items()}


def clean(form_cls: type[forms.Form], data: Mapping[str, Any] | None, **kwargs: Any) -> dict[str, Any]:
    """Validate ``data`` with ``form_cls`` or raise ``InvalidInput`` with translated field errors."""
    form = form_cls(data=data if data is not None else {}, **kwargs)
    if not form.is_valid():
        raise InvalidInput(form_errors(form))
    return form.cleaned_data


def refuse(code: str, message: Any, *, article: str | None = None, **params: Any) -> NotPermitted:
    return NotPermitted(reasons=[Reason(code, message, article=article, params=params)])
