"""JSON shapes of the partnership API: answers rendered from models, request bodies typed for the schema.

Request bodies are typed gates only (JSON types, lengths, unknown fields); the services validate with
the domain's forms and decide.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.inputs import (
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictIntegerField,
    serializer_for_form,
)
from api.rows import ValuesRows
from engine.models import AccessLogEntry
from partners.models import Organization, Theme

from .. import sessions
from ..flows import RequestFlow
from ..forms import RequestForm
from ..models import ActionItem, ConflictDeclaration, DialogueRequest, Meeting, Outcome, Participant, SeatAbsence, Vote
from . import inputs  # noqa: F401  (maps the domain's form fields before any serializer is built)


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "name_ar", "side", "kind", "acronym"]


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["code", "name", "name_ar"]


class MyOrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_ar = serializers.CharField()
    side = serializers.ChoiceField(choices=Organization.Side.choices)
    role = serializers.CharField(help_text="`coordinator` or `member`.")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(
        child=serializers.CharField(),
        help_text="Any of secretariat, secretariat_lead, auditor, committee, chair, coordinator, member.",
    )
    organizations = MyOrganizationSerializer(many=True)


class MeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "starts_at",
            "ends_at",
            "location",
            "online_url",
            "agenda",
            "status",
            "sequence",
            "capacity",
        ]


class FiguresSerializer(serializers.Serializer):
    """Attendance counted by side and by gender (attendances: a person at two sessions counts twice)."""

    registered = serializers.IntegerField(required=False)
    walk_ins = serializers.IntegerField(required=False)
    attended = serializers.IntegerField()
    by_side = serializers.DictField(child=serializers.IntegerField())
    by_gender = serializers.DictField(child=serializers.IntegerField())
    by_side_and_gender = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))


class SessionSerializer(MeetingSerializer):
    """One session of the request's dialogue series, with its calendar identity and attendance figures."""

    uid = serializers.CharField(read_only=True)
    registered = serializers.SerializerMethodField()
    places_left = serializers.SerializerMethodField()
    minutes = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "uid", "registered", "places_left", "minutes", "figures"]

    def _people(self, meeting: Meeting) -> list[Any]:
        return list(meeting.participants.all())

    def get_registered(self, meeting: Meeting) -> int:
        return sum(1 for person in self._people(meeting) if not person.walk_in)

    def get_places_left(self, meeting: Meeting) -> int | None:
        if meeting.capacity is None:
            return None
        return max(meeting.capacity - self.get_registered(meeting), 0)

    def get_minutes(self, meeting: Meeting) -> str:
        return meeting.minutes

    @extend_schema_field(FiguresSerializer)
    def get_figures(self, meeting: Meeting) -> dict[str, Any]:
        return sessions.figures(self._people(meeting))


class ParticipantSerializer(serializers.ModelSerializer):
    organization_label = serializers.CharField(read_only=True)

    class Meta:
        model = Participant
        fields = [
            "id",
            "name",
            "organization",
            "organization_name",
            "organization_label",
            "side",
            "gender",
            "role",
            "walk_in",
            "attended",
            "registered_at",
        ]


class SeriesSessionSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    number = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    minutes = serializers.CharField()
    figures = FiguresSerializer()


class OutcomeSerializer(serializers.ModelSerializer):
    recommendations = serializers.ListField(child=serializers.CharField())
    series = serializers.SerializerMethodField(help_text="The dialogue series: each session with its minutes.")
    figures = serializers.SerializerMethodField(help_text="Attendance over the series, by side and gender.")

    @extend_schema_field(SeriesSessionSerializer(many=True))
    def get_series(self, outcome: Outcome) -> list[dict[str, Any]]:
        return sessions.series(outcome.request_id and outcome.request)

    @extend_schema_field(FiguresSerializer)
    def get_figures(self, outcome: Outcome) -> dict[str, Any]:
        return sessions.series_figures(outcome.request)

    class Meta:
        model = Outcome
        fields = [
            "minutes",
            "summary",
            "recommendations",
            "agreements",
            "what_changed",
            "who_changed",
            "significance",
            "contribution",
            "evidence",
            "visibility",
            "restriction_reason",
            "public_summary",
            "documented_at",
            "series",
            "figures",
        ]


class RequestSerializer(serializers.ModelSerializer):
    """A dialogue request as listed."""

    state_label = serializers.SerializerMethodField()
    theme = ThemeSerializer()
    requesting_organization = OrganizationSerializer()
    counterpart_organizations = OrganizationSerializer(many=True)
    created_by = serializers.CharField(source="created_by.username")
    #: the secretariat officer handling the request (login), set by the ``assigned`` unit; read-only
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = DialogueRequest
        fields = [
            "reference",
            "state",
            "state_label",
            "version",
            "title",
            "summary",
            "policy_question",
            "theme",
            "format",
            "requesting_organization",
            "counterpart_organizations",
            "period_start",
            "period_end",
            "expected_participants",
            "language",
            "created_by",
            "assignee",
            "created_at",
            "updated_at",
            "submitted_at",
            "accepted_at",
            "decision",
            "decision_reason",
            "decided_at",
            "decline_reason",
            "decline_article",
            "withdraw_reason",
            "appeal_used",
            "published",
            "published_at",
            "minutes_confirmed_at",
            "closed_at",
        ]

    def get_state_label(self, request: DialogueRequest) -> str:
        return str(RequestFlow.state_labels.get(request.state, request.state))


def _state_label(row: dict[str, Any]) -> str:
    return str(RequestFlow.state_labels.get(row["state"], row["state"]))


#: The list's rows: RequestSerializer's answer built from ``values()`` rows (``api.rows``), the same JSON
#: without a model object or a serializer call per row; the counterparts in one query per page.
REQUEST_ROWS = ValuesRows(RequestSerializer, methods={"state_label": (_state_label, ("state",))})


class RequestDetailSerializer(RequestSerializer):
    """A dialogue request with its meeting and outcome (the outcome only for those who may read it)."""

    meeting = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    outcome_restricted = serializers.SerializerMethodField(
        help_text="True when there is a restricted outcome (shown only to parties, secretariat, committee, auditors)."
    )

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "meeting", "outcome", "outcome_restricted"]

    @extend_schema_field(MeetingSerializer(allow_null=True))
    def get_meeting(self, request: DialogueRequest) -> dict[str, Any] | None:
        meetings = [m for m in request.meetings.all() if m.status != Meeting.Status.CANCELLED]
        if not meetings:
            return None
        return MeetingSerializer(max(meetings, key=lambda m: (m.created_at, m.pk))).data

    def _outcome(self, request: DialogueRequest) -> Outcome | None:
        try:
            return request.outcome
        except Outcome.DoesNotExist:
            return None

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, request: DialogueRequest) -> dict[str, Any] | None:
        outcome = self._outcome(request)
        if outcome is None:
            return None
        may_read = self.context.get("may_read_restricted")
        if outcome.visibility == Outcome.Visibility.RESTRICTED and not (may_read and may_read(request)):
            return None
        return OutcomeSerializer(outcome).data

    def get_outcome_restricted(self, request: DialogueRequest) -> bool:
        outcome = self._outcome(request)
        return outcome is not None and outcome.visibility == Outcome.Visibility.RESTRICTED


# --- request bodies -----------------------------------------------------------------------------

#: typed from the domain's own form: a field added to RequestForm appears in the API and its schema
RequestInputSerializer = serializer_for_form(RequestForm, "DialogueRequestInput")


class RequestFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=list(RequestFlow.state_labels), required=False)
    theme = serializers.CharField(max_length=40, required=False, help_text="Theme code.")
    organization = serializers.IntegerField(
        min_value=1, max_value=2**62, required=False, help_text="Requesting or counterpart organization id."
    )
    search = serializers.CharField(max_length=200, required=False, help_text="In reference, title and summary.")
    q = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Full text, Arabic-normalized (hamza/alef forms, taa marbuta, alef maqsura, diacritics, tatweel): "
        "every word, by prefix, in the title, summary, policy question, requesting organization or public outcome.",
    )


class OrganizationFilterSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=Organization.Side.choices, required=False)
    search = serializers.CharField(max_length=200, required=False, help_text="In name, Arabic name and acronym.")


class VoteSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.username")
    alternate_for = serializers.CharField(
        source="alternate_for.username",
        allow_null=True,
        default=None,
        help_text="The recused member whose seat the voter sat in as alternate; null for a member's own vote.",
    )

    class Meta:
        model = Vote
        fields = ["member", "side", "round", "decision", "reason", "cast_at", "alternate_for"]


class VoteResultSerializer(VoteSerializer):
    request_state = serializers.CharField(help_text="The request's state after the vote (the votes may settle it).")

    class Meta(VoteSerializer.Meta):
        fields = [*VoteSerializer.Meta.fields, "request_state"]


class VoteInputSerializer(serializers.Serializer):
    decision = StrictChoiceField(choices=Vote.Choice.choices)
    reason = StrictCharField(max_length=2000, required=False, allow_blank=True, help_text="Required to reject.")


class ConflictSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.username")
    # an automatic recusal's reason in the caller's language (the row keeps the words of its day)
    reason = serializers.CharField(source="display_reason", read_only=True)

    class Meta:
        model = ConflictDeclaration
        fields = ["member", "reason", "automatic", "declared_at"]


class ConflictInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


class AbsenceSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.username")

    class Meta:
        model = SeatAbsence
        fields = ["member", "reason", "declared_at"]


class ActionItemSerializer(serializers.ModelSerializer):
    request = serializers.CharField(source="request.reference")
    owner_organization = OrganizationSerializer()
    owner_person = serializers.CharField(source="owner_person.username", allow_null=True, default=None)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "request",
            "description",
            "owner_organization",
            "owner_person",
            "due_date",
            "status",
            "justification",
            "created_at",
            "updated_at",
            "completed_at",
        ]


class ActionItemInputSerializer(serializers.Serializer):
    description = StrictCharField(max_length=4000)
    owner_organization = StrictIntegerField(min_value=1, max_value=2**62)
    due_date = StrictDateField()
    owner_person = StrictIntegerField(min_value=1, max_value=2**62, required=False, allow_null=True)


class ActionItemUpdateSerializer(serializers.Serializer):
    status = StrictChoiceField(choices=ActionItem.Status.choices, required=False)
    justification = StrictCharField(max_length=4000, required=False, allow_blank=True, help_text="Required to drop.")
    description = StrictCharField(max_length=4000, required=False)
    due_date = StrictDateField(required=False)
    owner_organization = StrictIntegerField(min_value=1, max_value=2**62, required=False)
    owner_person = StrictIntegerField(min_value=1, max_value=2**62, required=False)


class AuditFailureSerializer(serializers.Serializer):
    case_type = serializers.CharField(help_text="`engine.accesslogentry` for a break in the access log.")
    case_id = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField()
    seq = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(required=False)
    problem = serializers.CharField()


class AuditVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    cases_checked = serializers.IntegerField()
    events_checked = serializers.IntegerField()
    digests_checked = serializers.IntegerField(
        help_text="Cases whose audited fields and rows were compared with the digest of their last event."
    )
    cases_without_digest = serializers.IntegerField(
        help_text="Cases skipped by that comparison: their last event predates digests."
    )
    access_entries_checked = serializers.IntegerField(
        help_text="Entries of the access log of restricted reads verified (a hash chain of its own)."
    )
    failures = AuditFailureSerializer(many=True)
    verified_at = serializers.DateTimeField(help_text="When the verification answered from finished.")
    age_seconds = serializers.FloatField(help_text="How long ago that was.")
    running = serializers.BooleanField(help_text="Whether a newer verification is under way.")


class AccessLogFilterSerializer(serializers.Serializer):
    case = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$", max_length=32, required=False, help_text="A case's reference."
    )


class AccessLogEntrySerializer(serializers.ModelSerializer):
    reader = serializers.CharField(source="actor_label", help_text="The reader's username at the time.")
    reader_role = serializers.CharField(source="actor_role")
    reference = serializers.CharField(source="case_reference")

    class Meta:
        model = AccessLogEntry
        fields = [
            "seq",
            "occurred_at",
            "reader",
            "reader_role",
            "case_type",
            "reference",
            "what",
            "ip_address",
            "user_agent",
            "prev_hash",
            "hash",
        ]


class AuditVerifyJobSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="running")
    job = serializers.IntegerField(help_text="The run's number.")
    started_at = serializers.DateTimeField()
    poll = serializers.CharField(help_text="Where the result appears once finished.")
