"""Input of the application and of each of its steps: translated field errors, nothing changed on error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Theme

from .models import Application

MAX_TEXT = 4000


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("name (English)"), max_length=200)
    name_ar = forms.CharField(label=_("name (Arabic)"), max_length=200)
    side = forms.ChoiceField(label=_("side"), choices=Application.Side.choices)
    kind = forms.ChoiceField(label=_("kind"), choices=Application.Kind.choices)
    registration_number = forms.CharField(label=_("registration number"), max_length=60, required=False)
    themes = forms.ModelMultipleChoiceField(
        label=_("themes"), queryset=Theme.objects.all(), to_field_name="code", required=False
    )
    contact_email = forms.EmailField(label=_("contact email"), required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=40, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("name", "name_ar", "registration_number", "contact_phone"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].strip()
        if cleaned.get("kind") == Application.Kind.CSO and not cleaned.get("registration_number"):
            self.add_error("registration_number", _("A civil-society organization must give its registration number."))
        public = {Application.Kind.MINISTRY, Application.Kind.AGENCY}
        side, kind = cleaned.get("side"), cleaned.get("kind")
        if side and kind and (kind in public) != (side == Application.Side.PUBLIC):
            self.add_error(
                "kind", _("A ministry or public agency is on the public side; a CSO or network on civil society's.")
            )
        return cleaned


class SubmitForm(forms.Form):
    accept_charter = forms.BooleanField(label=_("I accept the Partnership Charter"), required=False)
    charter_version = forms.IntegerField(label=_("charter version"), min_value=1)


class MessageForm(forms.Form):
    message = forms.CharField(label=_("message"), max_length=MAX_TEXT)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=MAX_TEXT)
