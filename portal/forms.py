"""Forms of the portal itself (the domain's forms live with the domain)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from engine.dates import DayFirstDateField, DayFirstDateInput
from engine.text import SingleLineField

#: the hint under every date box (the pattern it reads; engine.dates)
DATE_HINT = _("Day/month/year, for example 23/11/2026.")
DATETIME_HINT = _("Day/month/year and time, for example 23/11/2026 14:30.")


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


# --- forms rendered on the request page; the domain's services validate what is sent ----------


class _OwnIds(forms.Form):
    """A form that shares the request page with others: its element ids carry its own prefix
    (``vote_reason``, ``conflict_reason``) so no two fields on the page have the same id; the
    field names, and so what is posted, are unchanged."""

    id_prefix = "form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class VoteForm(_OwnIds):
    id_prefix = "vote"
    decision = forms.ChoiceField(
        label=_("Your vote"),
        choices=[("approve", _("Approve")), ("reject", _("Reject")), ("abstain", _("Abstain"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you vote to reject (charter article 5)."),
    )


class ConflictForm(_OwnIds):
    id_prefix = "conflict"

    reason = forms.CharField(
        label=_("Why you have a conflict of interest"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttachmentForm(_OwnIds):
    id_prefix = "attachment"

    file = forms.FileField(label=_("Document"), help_text=_("PDF, Word, Excel, PNG, JPEG or text; at most 10 MB."))
    description = SingleLineField(label=_("Description"), required=False, max_length=300)


class ActionItemForm(_OwnIds):
    id_prefix = "action_item"

    description = forms.CharField(label=_("Action"), widget=forms.Textarea(attrs={"rows": 2}))
    owner_organization = forms.TypedChoiceField(label=_("Owner organization"), coerce=int)
    due_date = DayFirstDateField(label=_("Due date"), help_text=DATE_HINT)

    def __init__(self, *args: Any, organizations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_organization"].choices = [("", "—")] + [(o.pk, o.display_name) for o in organizations]


class ActionProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 2}))
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("open", _("Open")),
            ("in_progress", _("In progress")),
            ("done", _("Done")),
            ("dropped", _("Dropped")),
        ],
    )
    justification = forms.CharField(
        label=_("Justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to drop an action."),
    )
    evidence_url = forms.URLField(label=_("Evidence link"), required=False, assume_scheme="https")
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)

    def __init__(self, *args: Any, item_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"item-{item_id}")
        super().__init__(*args, **kwargs)
        self.item_id = item_id


def dress_request_form(form: forms.Form, own_organizations: list[Any]) -> forms.Form:
    """The domain's request form with widgets for people: pickers for theme, organization, dates."""
    from workflows.partnership.selectors import themes

    form.fields["requesting_organization"].widget = forms.Select(
        choices=[(org.pk, org.display_name) for org in own_organizations]
    )
    form.fields["theme"].widget = forms.Select(
        choices=[("", "—"), *[(theme.code, theme.display_name) for theme in themes()]]
    )
    form.fields["format"].widget = forms.RadioSelect(choices=form.fields["format"].choices)
    form.fields["language"].widget = forms.RadioSelect(choices=[c for c in form.fields["language"].choices if c[0]])
    for name in ("period_start", "period_end"):
        form.fields[name].widget = DayFirstDateInput()
        form.fields[name].help_text = DATE_HINT
    for name in ("summary", "policy_question"):
        form.fields[name].widget.attrs["rows"] = 4
    form.fields["summary"].help_text = _("What the dialogue is about and why it is needed now.")
    form.fields["policy_question"].help_text = _("The public-policy question the parties should answer together.")
    return form


class SavedFilterForm(forms.Form):
    """A name for the queue's current query string; the query is kept as the queue reads it."""

    MAX_PER_PERSON = 50

    name = SingleLineField(
        label=_("Name of the filter"),
        max_length=80,
        error_messages={
            "required": _("Give the filter a name."),
            "max_length": _("A filter's name can have at most %(limit_value)d characters."),
        },
    )
    query = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args: Any, owner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self) -> str:
        from .models import SavedFilter

        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the filter a name."))
        if SavedFilter.objects.filter(owner=self.owner, name__iexact=name).exists():
            raise forms.ValidationError(_("You already have a filter named “%(name)s”."), params={"name": name})
        if SavedFilter.objects.filter(owner=self.owner).count() >= self.MAX_PER_PERSON:
            raise forms.ValidationError(
                _("You can keep at most %(count)d saved filters: delete one first."),
                params={"count": self.MAX_PER_PERSON},
            )
        return name

    def clean_query(self) -> str:
        from django.http import QueryDict

        from .search import RequestFilters

        # Only what the queue understands is kept (the same parsing as the queue's own).
        return RequestFilters.from_query(QueryDict(self.cleaned_data.get("query", "").lstrip("?"))).as_query()

    def save(self) -> Any:
        from .models import SavedFilter

        return SavedFilter.objects.create(
            owner=self.owner, name=self.cleaned_data["name"], query=self.cleaned_data["query"]
        )
