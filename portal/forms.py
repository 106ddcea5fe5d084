"""Forms of the portal itself (the domain's forms live with the domain)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "class": "form-control"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "form-control"}),
    )


HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class UserSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the interface and of messages"),
        choices=[("ar", "العربية"), ("en", "English")],
    )
    digest = forms.ChoiceField(
        label=_("Email delivery"),
        choices=[("immediate", _("Immediately, one email per event")), ("daily", _("Once a day, in one digest email"))],
        widget=forms.RadioSelect,
    )
    digest_hour = forms.TypedChoiceField(label=_("Hour of the daily digest"), choices=HOURS, coerce=int)


class ChannelPreferencesForm(forms.Form):
    """Two check boxes (in the application, by email) per kind of notification."""

    def __init__(self, *args: Any, kinds: list[str], current: dict[str, tuple[bool, bool]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from notify.messages import message_for

        self.kinds = kinds
        self.rows = []
        for kind in kinds:
            label = message_for(kind).label
            in_app, email = current.get(kind, (True, True))
            self.fields[f"{kind}__in_app"] = forms.BooleanField(
                label=_("%(kind)s: in the application") % {"kind": label}, required=False, initial=in_app
            )
            self.fields[f"{kind}__email"] = forms.BooleanField(
                label=_("%(kind)s: by email") % {"kind": label}, required=False, initial=email
            )
            self.rows.append((label, self[f"{kind}__in_app"], self[f"{kind}__email"]))

    def choices(self) -> dict[str, tuple[bool, bool]]:
        return {
            kind: (bool(self.cleaned_data.get(f"{kind}__in_app")), bool(self.cleaned_data.get(f"{kind}__email")))
            for kind in self.kinds
        }
