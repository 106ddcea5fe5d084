"""Input of the outcome register: translated field errors, nothing changed on error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.dates import DayFirstDateField
from partners.models import Organization, Theme
from workflows.partnership.forms import TextListField
from workflows.partnership.models import ActionItem, DialogueRequest

from .models import HarvestedOutcome, Recommendation

MAX_TEXT = 4000
MAX_LINKS = 20


class HarvestForm(forms.Form):
    """One change in one social actor: who, what, when, where; why it matters and how the dialogue helped."""

    title = forms.CharField(label=_("title"), max_length=200)
    social_actor = forms.CharField(label=_("who changed (social actor)"), max_length=300)
    actor_side = forms.ChoiceField(
        label=_("actor's side"),
        choices=HarvestedOutcome._meta.get_field("actor_side").choices,
        widget=forms.RadioSelect,
    )
    change = forms.CharField(label=_("what changed"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    changed_on = DayFirstDateField(label=_("when it changed"))
    place = forms.CharField(label=_("where"), max_length=200)
    significance = forms.CharField(
        label=_("significance"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    contribution = forms.CharField(
        label=_("contribution of the dialogue"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_links = TextListField(
        label=_("evidence links (one per line)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    change_type = forms.ChoiceField(
        label=_("type of change"), choices=HarvestedOutcome.ChangeType.choices, widget=forms.RadioSelect
    )
    theme = forms.ModelChoiceField(label=_("theme"), queryset=Theme.objects.all(), to_field_name="code")
    requests = forms.ModelMultipleChoiceField(
        label=_("dialogue requests"), queryset=DialogueRequest.objects.none(), to_field_name="reference"
    )
    recommendations = forms.ModelMultipleChoiceField(
        label=_("recommendations"), queryset=Recommendation.objects.none(), to_field_name="reference", required=False
    )
    visibility = forms.ChoiceField(
        label=_("visibility"),
        choices=HarvestedOutcome.Visibility.choices,
        initial=HarvestedOutcome.Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    public_summary = forms.CharField(
        label=_("what may be said publicly (English)"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    public_summary_ar = forms.CharField(
        label=_("what may be said publicly (Arabic)"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import selectors

        requests_field: Any = self.fields["requests"]
        requests_field.queryset = selectors.harvestable_requests(user)
        recommendations_field: Any = self.fields["recommendations"]
        recommendations_field.queryset = selectors.visible_recommendations(user)

    def clean_changed_on(self) -> Any:
        value = self.cleaned_data["changed_on"]
        if value and value > timezone.localdate():
            raise ValidationError(_("The change cannot be dated in the future."))
        return value

    def clean_evidence_links(self) -> list[str]:
        links = [link.strip() for link in self.cleaned_data.get("evidence_links") or [] if link.strip()]
        if len(links) > MAX_LINKS:
            raise ValidationError(_("At most %(count)d links.") % {"count": MAX_LINKS})
        check = URLValidator(schemes=["http", "https"])
        for link in links:
            try:
                check(link)
            except ValidationError:
                raise ValidationError(
                    _("“%(link)s” is not a web address (http or https).") % {"link": link[:80]}
                ) from None
        return links

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("title", "social_actor", "place", "public_summary", "public_summary_ar"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].strip()
        restricted = cleaned.get("visibility") == HarvestedOutcome.Visibility.RESTRICTED
        if not restricted and any(_restricted_dialogue(request) for request in cleaned.get("requests") or []):
            self.add_error(
                "visibility",
                _("A dialogue this outcome comes from has a restricted outcome: the outcome must be restricted too."),
            )
        if restricted and not (cleaned.get("public_summary") or cleaned.get("public_summary_ar")):
            self.add_error(
                "public_summary", _("A restricted outcome needs a public summary: what may be said about it publicly.")
            )
        return cleaned


def _restricted_dialogue(request: DialogueRequest) -> bool:
    outcome = getattr(request, "outcome", None) if hasattr(request, "outcome") else None
    return outcome is not None and outcome.visibility == "restricted"


class SubstantiateForm(forms.Form):
    verdict = forms.ChoiceField(label=_("substantiation"), choices=HarvestedOutcome.Verdict.choices)
    note = forms.CharField(
        label=_("note (required to qualify or dispute)"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        verdict = cleaned.get("verdict")
        if verdict in (HarvestedOutcome.Verdict.QUALIFIED, HarvestedOutcome.Verdict.DISPUTED):
            if not str(cleaned.get("note") or "").strip():
                self.add_error("note", _("Say what qualifies or disputes the outcome."))
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("document"))
    description = forms.CharField(label=_("description"), max_length=300, required=False)


class ProgressForm(forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[
            ("not_started", _("Not started")),
            ("in_progress", _("In progress")),
            ("implemented", _("Implemented")),
            ("not_implemented", _("Not implemented")),
        ],
    )
    progress = forms.IntegerField(label=_("progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(label=_("note"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        status, progress = cleaned.get("status"), cleaned.get("progress")
        if status == "implemented" and progress is not None and progress != 100:
            self.add_error("progress", _("An implemented recommendation is 100% done."))
        if status == "not_started" and progress:
            self.add_error("progress", _("A recommendation not started has no progress yet."))
        return cleaned


class OwnerForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("owner organization"), queryset=Organization.objects.filter(active=True)
    )


class LinkActionForm(forms.Form):
    action_item = forms.ModelChoiceField(label=_("follow-up action"), queryset=ActionItem.objects.all())

    def bind_flow(self, flow: Any) -> None:
        field: Any = self.fields["action_item"]
        field.queryset = ActionItem.objects.filter(request_id=flow.case.request_id)


class WordingForm(forms.Form):
    text = forms.CharField(label=_("recommendation (English)"), max_length=MAX_TEXT, required=False)
    text_ar = forms.CharField(label=_("recommendation (Arabic)"), max_length=MAX_TEXT, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (str(cleaned.get("text") or "").strip() or str(cleaned.get("text_ar") or "").strip()):
            raise ValidationError(_("Give the recommendation's wording in English or Arabic."))
        return cleaned
