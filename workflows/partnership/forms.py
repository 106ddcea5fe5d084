"""Input of each transition: clear, translated field errors; cleaned values stay JSON-friendly for the audit."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from engine.dates import DayFirstDateField, DayFirstDateTimeField
from engine.text import SingleLineField
from partners.models import Organization, Side, Theme

from .models import DialogueRequest, Meeting, Outcome, Participant, Vote

MAX_TEXT = 4000


class ListInput(forms.Widget):
    """Reads a list from JSON data (a list), form data (repeated keys) or a comma/newline-separated string."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if hasattr(data, "getlist"):
            values = data.getlist(name)
            return values[0] if len(values) == 1 else values
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data


class IdListField(forms.Field):
    """A list of database ids: [1, 2], ["1", "2"] or "1,2"."""

    widget = ListInput
    default_error_messages = {
        "invalid": _("Enter a list of ids, for example [3, 7]."),
        "unknown": _("Unknown ids: %(ids)s."),
    }

    def __init__(self, *, model: Any = None, queryset_filter: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.model = model
        self.queryset_filter = queryset_filter or {}
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        if value in (None, "", [], ()):
            return []
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            else:
                value = [part for part in text.replace("\n", ",").split(",") if part.strip()]
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        ids: list[int] = []
        for item in value:
            if isinstance(item, bool):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            try:
                number = int(str(item).strip())
            except (TypeError, ValueError):
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if number <= 0 or number > 2**62:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            if number not in ids:
                ids.append(number)
        return ids

    def validate(self, value: list[int]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if value and self.model is not None:
            found = set(self.model.objects.filter(pk__in=value, **self.queryset_filter).values_list("pk", flat=True))
            missing = [str(pk) for pk in value if pk not in found]
            if missing:
                raise ValidationError(
                    self.error_messages["unknown"], code="unknown", params={"ids": ", ".join(missing)}
                )


class TextListField(forms.Field):
    """A list of short texts: a JSON list, repeated form keys, or one text with one item per line."""

    widget = ListInput
    default_error_messages = {
        "invalid": _("Enter a list of texts."),
        "too_long": _("Each item can have at most %(max)d characters."),
    }

    def to_python(self, value: Any) -> list[str]:
        if value in (None, "", [], ()):
            return []
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    value = text.splitlines()
            else:
                value = text.splitlines()
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        items = []
        for item in value:
            if not isinstance(item, str):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            item = item.strip()
            if len(item) > 2000:
                raise ValidationError(self.error_messages["too_long"], code="too_long", params={"max": 2000})
            if item:
                items.append(item)
        return items


def _text(label: Any, *, required: bool = True, max_length: int = MAX_TEXT, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea, help_text=help_text
    )


class MessageForm(forms.Form):
    message = _text(_("message"))


def secretariat_officers() -> Any:
    """Active people of the secretariat (its lead too), by name: who a request may be assigned to."""
    from partners.models import PlatformRole

    roles = [PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD]
    return (
        get_user_model()
        .objects.filter(is_active=True, platform_roles__role__in=roles)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class AssignForm(forms.Form):
    """Who handles the request from now on (an officer of the secretariat), and optionally why."""

    assignee = forms.IntegerField(
        label=_("assign to"),
        min_value=1,
        error_messages={
            "required": _("Choose the officer who handles the request."),
            "invalid": _("Choose the officer who handles the request."),
            "min_value": _("Choose the officer who handles the request."),
        },
    )
    reason = SingleLineField(label=_("reason for the change"), required=False, max_length=300)

    def clean_assignee(self) -> int:
        officer = secretariat_officers().filter(pk=self.cleaned_data["assignee"]).first()
        if officer is None:
            raise ValidationError(_("A request can only be assigned to an active officer of the secretariat."))
        # The officer's name goes into the audit event, so the history names them as they were.
        self.cleaned_data["assigned_to"] = officer.get_full_name() or officer.get_username()
        return int(officer.pk)


class ReasonForm(forms.Form):
    reason = _text(_("reason"), max_length=2000)


class DeclineForm(forms.Form):
    reason = _text(_("reason"), max_length=2000)
    article = forms.CharField(label=_("charter article"), max_length=10)

    def clean_article(self) -> str:
        return self.cleaned_data["article"].strip().removeprefix("Article").strip()


class VoteForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=Vote.Choice.choices,
        error_messages={
            "invalid_choice": _("Choose approve, reject or abstain."),
            "required": _("Choose approve, reject or abstain."),
        },
    )
    reason = _text(_("reason"), required=False, max_length=2000)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == Vote.Choice.REJECT and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("A vote to reject must give a reason (charter article 5)."))
        return cleaned


class ConflictForm(forms.Form):
    reason = _text(_("reason"), max_length=2000)

    def clean_reason(self) -> str:
        reason = (self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise ValidationError(_("Say briefly why you have a conflict of interest."))
        return reason


#: a deciding vote (the chair's, the deputy's) or the full platform's decision on a referred request
DECISION_CHOICES = [("approve", _("Approve")), ("reject", _("Reject"))]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), choices=DECISION_CHOICES)
    reason = _text(_("reason"), max_length=2000)


class SessionBoundForm(forms.Form):
    """A form about one session of the request's series, chosen by its id (``session``).

    The engine binds the flow before validating (``bind_flow``), so an id of another request's
    session, or of a session in the wrong status, is a field error and nothing changes.
    """

    #: the statuses the chosen session may have
    session_statuses: tuple[str, ...] = (Meeting.Status.SCHEDULED,)
    session_required = False

    session = forms.IntegerField(
        label=_("session"),
        required=False,
        min_value=1,
        max_value=2**62,
        help_text=_("The session's id; the next scheduled session when left empty."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flow: Any = None
        self.fields["session"].required = self.session_required

    def bind_flow(self, flow: Any) -> None:
        self.flow = flow

    def session_object(self) -> Meeting | None:
        pk = self.cleaned_data.get("session")
        if pk is None or self.flow is None:
            return None
        return Meeting.objects.filter(request=self.flow.case, pk=pk).first()

    def clean_session(self) -> int | None:
        pk = self.cleaned_data.get("session")
        if pk is None or self.flow is None:
            return pk
        meeting = Meeting.objects.filter(request=self.flow.case, pk=pk).first()
        if meeting is None:
            raise ValidationError(_("No such session on this request."), code="unknown_session")
        if meeting.status not in self.session_statuses:
            if meeting.status == Meeting.Status.SCHEDULED:
                message = _("This session has not been held yet.")
            elif meeting.status == Meeting.Status.HELD:
                message = _("This session has already been held.")
            else:
                message = _("This session was cancelled.")
            raise ValidationError(message, code="session_status")
        return pk


class MeetingForm(forms.Form):
    starts_at = DayFirstDateTimeField(label=_("starts at"))
    ends_at = DayFirstDateTimeField(label=_("ends at"))
    location = SingleLineField(label=_("location"), max_length=300)
    agenda = _text(_("agenda"))
    online_url = forms.URLField(label=_("online meeting link"), required=False, max_length=200, assume_scheme="https")
    kind = forms.ChoiceField(
        label=_("session format"),
        choices=[("", "—"), *Meeting.Kind.choices],
        required=False,
        help_text=_("The request's format when left empty."),
    )
    title = SingleLineField(label=_("session title"), max_length=200, required=False)
    capacity = forms.IntegerField(
        label=_("capacity"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("The most people who may register; no limit when left empty."),
    )
    invitees = IdListField(
        label=_("invitees"),
        required=False,
        model=get_user_model(),
        queryset_filter={"is_active": True},
        help_text=_("User ids; the parties' coordinators when left empty."),
    )
    allow_non_business_day = forms.BooleanField(
        label=_("schedule on a weekend or holiday anyway"),
        required=False,
        help_text=_("Needed, with a reason, for a date that is not a business day on the platform's calendar."),
    )
    override_reason = SingleLineField(label=_("reason for the non-business day"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The meeting must end after it starts."))
        if cleaned.get("allow_non_business_day") and not (cleaned.get("override_reason") or "").strip():
            self.add_error("override_reason", _("Give the reason for meeting on a non-business day."))
        return cleaned


class RescheduleForm(SessionBoundForm, MeetingForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=2000, widget=forms.Textarea)

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict[str, Any]:
        """The session as it stands: a reschedule form opens with it, to change only what moves."""
        return {
            "session": meeting.pk,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "location": meeting.location,
            "agenda": meeting.agenda,
            "online_url": meeting.online_url,
            "kind": meeting.kind,
            "title": meeting.title,
            "capacity": meeting.capacity,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        capacity = cleaned.get("capacity")
        if capacity and self.flow is not None:
            from .sessions import target_session

            meeting = self.session_object() or target_session(self.flow.case, None)
            registered = meeting.participants.filter(walk_in=False).count() if meeting else 0
            if registered > capacity:
                self.add_error(
                    "capacity",
                    _("%(count)s people are already registered: the capacity cannot be lower.") % {"count": registered},
                )
        return cleaned


class CancelMeetingForm(SessionBoundForm):
    reason = _text(_("reason"), max_length=2000)


class PersonForm(forms.Form):
    """One person at a session: who they are, for whom they speak, and the figures by side and gender."""

    name = SingleLineField(label=_("name"), max_length=200)
    organization = forms.ModelChoiceField(
        label=_("organization"),
        queryset=Organization.objects.filter(active=True),
        required=False,
        error_messages={"invalid_choice": _("Unknown organization.")},
    )
    organization_name = SingleLineField(label=_("organization (if not a member)"), max_length=200, required=False)
    side = forms.ChoiceField(
        label=_("side"),
        choices=[("", "—"), *Side.choices],
        required=False,
        help_text=_("The organization's side when left empty."),
    )
    gender = forms.ChoiceField(label=_("gender"), choices=Participant.Gender.choices)
    role = forms.ChoiceField(
        label=_("role"), choices=Participant.Role.choices, required=False, initial=Participant.Role.PARTICIPANT
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        organization = cleaned.get("organization")
        if organization is None and not (cleaned.get("organization_name") or "").strip():
            if "organization" not in self.errors:
                self.add_error("organization", _("Choose the person's organization or name it."))
        if not cleaned.get("side"):
            if organization is not None:
                cleaned["side"] = organization.side
            elif "side" not in self.errors:
                self.add_error("side", _("Say which side the person is on."))
        cleaned["role"] = cleaned.get("role") or Participant.Role.PARTICIPANT
        # JSON-friendly for the audit event: the organization by its id
        cleaned["organization"] = organization.pk if organization is not None else None
        return cleaned


class PeopleField(forms.Field):
    """A list of people (walk-ins): JSON objects with the fields of ``PersonForm``."""

    widget = ListInput
    default_error_messages = {
        "invalid": _("Enter a list of people, each with a name, organization, side, gender and role."),
        "too_many": _("At most %(max)d people at once."),
        "person": _("Person %(number)s: %(field)s: %(error)s"),
    }
    max_people = 500

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if value in (None, "", [], ()):
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(item, dict) for item in value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if len(value) > self.max_people:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"max": self.max_people})
        people, errors = [], []
        for number, item in enumerate(value, start=1):
            form = PersonForm(data=item)
            if form.is_valid():
                people.append(form.cleaned_data)
                continue
            for name, messages in form.errors.items():
                label = form.fields[name].label if name in form.fields else name
                for message in messages:
                    errors.append(
                        ValidationError(
                            self.error_messages["person"],
                            code="person",
                            params={"number": number, "field": label, "error": message},
                        )
                    )
        if errors:
            raise ValidationError(errors)
        return people


class AttendanceInputForm(SessionBoundForm):
    """Who attended: registered participants present (the others absent) and walk-ins."""

    present = IdListField(label=_("registered participants present"), required=False)
    walk_ins = PeopleField(label=_("walk-ins"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        ids = cleaned.get("present") or []
        if ids and self.flow is not None and "session" not in self.errors:
            from .sessions import target_session

            meeting = self.session_object() or target_session(self.flow.case, None, statuses=self.session_statuses)
            found = set(
                Participant.objects.filter(pk__in=ids, meeting=meeting).values_list("pk", flat=True) if meeting else []
            )
            missing = [str(pk) for pk in ids if pk not in found]
            if missing:
                self.add_error("present", _("Not registered for this session: %(ids)s.") % {"ids": ", ".join(missing)})
        return cleaned


class RecordMeetingForm(AttendanceInputForm):
    attended_organizations = IdListField(label=_("organizations present"), model=Organization, required=False)
    minutes = _text(_("minutes of the session"), required=False, max_length=100_000)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (cleaned.get("attended_organizations") or cleaned.get("present") or cleaned.get("walk_ins")):
            if not self.errors:
                self.add_error(
                    "attended_organizations",
                    _("Record who attended: the organizations present, registered participants or walk-ins."),
                )
        return cleaned


class AttendanceForm(AttendanceInputForm):
    session_statuses = (Meeting.Status.HELD,)
    session_required = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (cleaned.get("present") or cleaned.get("walk_ins")) and not self.errors:
            self.add_error("present", _("Mark who attended, or add walk-ins."))
        return cleaned


class RegistrationForm(SessionBoundForm, PersonForm):
    """Register a person for a scheduled session."""


class OutcomeForm(forms.Form):
    # Minutes and the harvesting fields are checked by charter guards (article 8), so that a
    # missing one is refused with the article it enforces rather than a bare "required".
    minutes = _text(_("minutes"), required=False, max_length=100_000)
    summary = _text(_("summary"))
    recommendations = TextListField(label=_("recommendations"), required=False)
    agreements = _text(_("agreements"), required=False)
    what_changed = _text(_("what changed"), required=False)
    who_changed = _text(_("who changed"), required=False)
    significance = _text(_("significance"), required=False)
    contribution = _text(_("contribution of the dialogue"), required=False)
    evidence = _text(_("evidence"), required=False)
    visibility = forms.ChoiceField(label=_("visibility"), choices=Outcome.Visibility.choices)
    restriction_reason = _text(_("reason for restricting"), required=False, max_length=2000)
    public_summary = _text(
        _("what may be said publicly"),
        required=False,
        max_length=2000,
        help_text=_(
            "For a restricted outcome: the words the transparency portal shows in its place. Leave empty and the "
            "portal says nothing about this outcome."
        ),
    )

    #: not required by the form but by the charter's guards (refused with the article): shown as required
    CHARTER_REQUIRED = ("minutes", "what_changed", "who_changed", "significance", "contribution", "evidence")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.CHARTER_REQUIRED:
            self.fields[name].charter_required = True  # type: ignore[attr-defined]


class ConfirmMinutesForm(forms.Form):
    organization = forms.IntegerField(
        label=_("organization"),
        required=False,
        min_value=1,
        help_text=_("The party you confirm for, when you coordinate more than one."),
    )


class MinutesCorrectionForm(forms.Form):
    """A party objects to the minutes: what is wrong, and the wording it proposes instead."""

    correction = _text(
        _("what is wrong in the minutes, and the wording you propose"),
        max_length=MAX_TEXT,
        help_text=_("Quote the passage and write the wording your organization proposes."),
    )
    organization = forms.IntegerField(
        label=_("organization"),
        required=False,
        min_value=1,
        help_text=_("The party you request the correction for, when you coordinate more than one."),
    )


class MinutesRevisionForm(forms.Form):
    """The secretariat's new text of the minutes, and a note of what the revision changes."""

    minutes = _text(_("revised minutes"), max_length=100_000)
    note = _text(_("what the revision changes"), max_length=2000)


class CorrectionRejectionForm(forms.Form):
    correction_id = forms.IntegerField(
        label=_("correction request"),
        required=False,
        min_value=1,
        help_text=_("The request answered, when more than one party asked for a correction."),
    )
    reason = _text(_("reason"), max_length=2000)


class ReopenForm(forms.Form):
    reason = _text(_("reason"), max_length=2000)
    # Not "target": viewflow passes the transition's keyword arguments next to its own "target".
    target_state = forms.ChoiceField(
        label=_("reopen at"),
        required=False,
        choices=[("", "—"), ("follow_up", _("Follow-up")), ("outcome_documented", _("Outcome documented"))],
    )


class ThemeField(forms.Field):
    """A theme by its code (``juvenile-justice``) or its id."""

    default_error_messages = {"invalid": _("Unknown theme.")}

    def to_python(self, value: Any) -> Theme | None:
        if value in (None, ""):
            return None
        if isinstance(value, Theme):
            return value
        text = str(value).strip()
        theme = Theme.objects.filter(code=text).first()
        if theme is None and text.isdigit() and len(text) < 18:
            theme = Theme.objects.filter(pk=int(text)).first()
        if theme is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return theme


class RequestForm(forms.Form):
    """The fields of a dialogue request, for creating it or (``partial=True``) editing a draft."""

    title = SingleLineField(label=_("title"), max_length=200)
    summary = _text(_("summary"), max_length=10_000)
    policy_question = _text(_("policy question"), required=False)
    theme = ThemeField(label=_("theme"))
    format = forms.ChoiceField(label=_("format"), choices=DialogueRequest.Format.choices)
    requesting_organization = forms.ModelChoiceField(
        label=_("requesting organization"), queryset=Organization.objects.filter(active=True)
    )
    counterpart_organizations = IdListField(
        label=_("counterpart organizations"), model=Organization, queryset_filter={"active": True}
    )
    period_start = DayFirstDateField(label=_("proposed from"), required=False)
    period_end = DayFirstDateField(label=_("proposed until"), required=False)
    expected_participants = forms.IntegerField(
        label=_("expected participants"), required=False, min_value=1, max_value=100_000
    )
    language = forms.ChoiceField(label=_("language"), choices=DialogueRequest.Language.choices, required=False)

    def __init__(self, *args: Any, partial: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partial:
            # An edit changes only the fields it sends.
            for name in list(self.fields):
                if name not in (self.data or {}):
                    del self.fields[name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The proposed period must end on or after its start."))
        requesting = cleaned.get("requesting_organization")
        counterparts = cleaned.get("counterpart_organizations") or []
        if requesting is not None and requesting.pk in counterparts:
            self.add_error("counterpart_organizations", _("The requesting organization cannot be its own counterpart."))
        return cleaned
