"""Input of the application and of each of its steps: translated field errors, nothing changed on error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
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


class OptionalMessageForm(forms.Form):
    message = forms.CharField(label=_("message"), max_length=MAX_TEXT, required=False)


# --- the portal's forms (people, not API clients) ---------------------------------------------------------


class PortalApplicationForm(ApplicationForm):
    """Apply in one page: the organization, the charter read and accepted, and an optional document."""

    accept_charter = forms.BooleanField(
        label=_("I have read the Partnership Charter and accept it on behalf of the organization"),
        error_messages={"required": _("Accept the charter to apply: the platform's members all do.")},
    )
    charter_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    document = forms.FileField(
        label=_("Supporting document"),
        required=False,
        help_text=_(
            "Statutes, registration certificate or decree: PDF, Word, Excel, PNG, JPEG or text; at most 10 MB."
        ),
    )
    document_description = forms.CharField(label=_("Description of the document"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].widget = forms.CheckboxSelectMultiple()
        self.fields["themes"].choices = [(theme.code, theme.display_name) for theme in Theme.objects.all()]

    def application_data(self) -> dict[str, Any]:
        """The fields the application service reads, as submitted (it validates them again)."""
        names = ApplicationForm.base_fields
        data = {name: self.data.get(name, "") for name in names if name != "themes"}
        data["themes"] = self.data.getlist("themes") if hasattr(self.data, "getlist") else self.data.get("themes", [])
        return data


class DocumentUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Supporting document"),
        help_text=_(
            "Statutes, registration certificate or decree: PDF, Word, Excel, PNG, JPEG or text; at most 10 MB."
        ),
    )
    description = forms.CharField(label=_("Description of the document"), max_length=300, required=False)


class SignUpForm(UserCreationForm):
    """A person creates an account to apply for their organization; the account can do nothing else yet."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email"))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists: sign in instead."))
        return email


class SuccessorForm(forms.Form):
    """The coordinator names who takes over: a person with an account on the platform."""

    successor = forms.CharField(
        label=_("New coordinator (user name or email)"),
        max_length=254,
        help_text=_("The person needs an account on the platform; they may create one with the sign-up form."),
    )
    message = forms.CharField(label=_("message"), max_length=MAX_TEXT, required=False)

    def clean_successor(self) -> int:
        value = self.cleaned_data["successor"].strip()
        users = get_user_model().objects.filter(is_active=True)
        person = users.filter(username=value).first() or users.filter(email__iexact=value).first()
        if person is None:
            raise forms.ValidationError(_("No active account has this user name or email."))
        return int(person.pk)
