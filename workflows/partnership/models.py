"""The dialogue request and everything that hangs off it: votes, meetings, outcome, follow-up."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from engine.models import Case
from partners.models import Organization, Side, Theme

USER = settings.AUTH_USER_MODEL


class DialogueRequest(Case):
    """A request by a ministry or a CSO for a policy dialogue with the other side."""

    REFERENCE_PREFIX = "DR"
    #: Held to every audit event's digest (engine.snapshot): an edit outside the engine is named by audit_verify.
    audited_fields = (
        "title",
        "summary",
        "policy_question",
        "theme",
        "format",
        "requesting_organization",
        "period_start",
        "period_end",
        "expected_participants",
        "language",
        "created_by",
        "decline_reason",
        "decline_article",
        "withdraw_reason",
        "vote_round",
        "decision",
        "decision_reason",
        "appeal_used",
        "appeal_reason",
        "published",
        "assignee",
    )
    #: Audited since the queue's assignments: absent from the snapshots of earlier events while empty.
    audited_fields_added = ("assignee",)

    class Format(models.TextChoices):
        ROUNDTABLE = "roundtable", _("Roundtable")
        POLICY_DIALOGUE = "policy_dialogue", _("Policy dialogue")
        WORKSHOP = "workshop", _("Workshop")
        CONSULTATION = "consultation", _("Consultation")

    class Language(models.TextChoices):
        ARABIC = "ar", _("Arabic")
        ENGLISH = "en", _("English")
        BOTH = "both", _("Arabic and English")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    policy_question = models.TextField(_("policy question"), blank=True)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="requests", verbose_name=_("theme"))
    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    requesting_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="requests_made", verbose_name=_("requesting organization")
    )
    counterpart_organizations = models.ManyToManyField(
        Organization, blank=True, related_name="requests_received", verbose_name=_("counterpart organizations")
    )
    period_start = models.DateField(_("proposed from"), null=True, blank=True)
    period_end = models.DateField(_("proposed until"), null=True, blank=True)
    expected_participants = models.PositiveIntegerField(_("expected participants"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=4, choices=Language.choices, default=Language.BOTH)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))

    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    decline_article = models.CharField(_("charter article cited"), max_length=10, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)
    vote_round = models.PositiveSmallIntegerField(_("voting round"), default=1)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    appeal_used = models.BooleanField(_("appeal used"), default=False)
    appeal_reason = models.TextField(_("reason for the appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    referred_at = models.DateTimeField(_("referred to the full platform at"), null=True, blank=True)
    referral_reason = models.TextField(_("reason for the referral"), blank=True)
    minutes_confirmed_at = models.DateTimeField(_("minutes confirmed at"), null=True, blank=True)
    published = models.BooleanField(_("outcome published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    #: The secretariat officer handling the request (the flow's ``assigned`` unit sets it; audited).
    assignee = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )

    class Meta:
        verbose_name = _("dialogue request")
        verbose_name_plural = _("dialogue requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="partnership_dr_state_upd"),
            models.Index(fields=["requesting_organization", "state"], name="partnership_dr_org_state"),
            # The visibility of an organization's people (selectors._own_or_counterpart) read from indexes
            # alone: its own requests' ids, and whether a counterpart request was accepted.
            models.Index(fields=["requesting_organization", "id"], name="partnership_dr_org_id"),
            models.Index(fields=["id"], condition=models.Q(accepted_at__isnull=False), name="partnership_dr_accepted"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class EmptySideRule(models.TextChoices):
    """What the charter says happens when a side has no eligible member, even after alternates."""

    REFER_TO_PLATFORM = "refer_to_platform", _("the secretariat lead refers the request to the full platform")
    COUNT_SIDE_SATISFIED = (
        "count_side_satisfied",
        _("the quorum counts that side as satisfied, and the reason is recorded"),
    )


class CommitteeRule(models.Model):
    """How the committee decides; the active row applies (defaults when there is none)."""

    EmptySideRule = EmptySideRule

    name = models.CharField(_("name"), max_length=100, default="default")
    active = models.BooleanField(_("active"), default=True)
    quorum_ratio = models.DecimalField(
        _("quorum (share of eligible members who voted)"), max_digits=3, decimal_places=2, default=Decimal("0.50")
    )
    require_each_side = models.BooleanField(_("at least one vote from each side"), default=True)
    appeal_window_days = models.PositiveSmallIntegerField(_("appeal window (business days)"), default=10)
    max_appeals = models.PositiveSmallIntegerField(_("appeals allowed"), default=1)
    empty_side_rule = models.CharField(
        _("when a side has no eligible member"),
        max_length=30,
        choices=EmptySideRule.choices,
        default=EmptySideRule.REFER_TO_PLATFORM,
        help_text=_("Applies after alternates have taken the seats of recused members."),
    )
    empty_side_article = models.CharField(_("charter article of that rule"), max_length=10, blank=True, default="5")
    composition_criteria = models.TextField(_("composition criteria (English)"), blank=True)
    composition_criteria_ar = models.TextField(_("composition criteria (Arabic)"), blank=True)

    class Meta:
        verbose_name = _("committee rule")
        verbose_name_plural = _("committee rules")

    def __str__(self) -> str:
        return self.name

    @property
    def composition_criteria_display(self) -> str:
        if self.composition_criteria_ar and (get_language() or "").startswith("ar"):
            return self.composition_criteria_ar
        return self.composition_criteria or self.composition_criteria_ar

    @classmethod
    def current(cls) -> CommitteeRule:
        return cls.objects.filter(active=True).order_by("-id").first() or cls()


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random folder per file: names never collide and never reveal other files' names.
    return f"partnership/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class Attachment(models.Model):
    """A document added to a request (concept note, agenda, evidence, ...)."""

    request = models.ForeignKey(
        DialogueRequest, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("request")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class InfoRequest(models.Model):
    """The secretariat's question to the requester during triage, and the answer."""

    request = models.ForeignKey(
        DialogueRequest, on_delete=models.CASCADE, related_name="info_requests", verbose_name=_("request")
    )
    message = models.TextField(_("question"))
    asked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by"))
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.message[:40]}"


class Vote(models.Model):
    """One committee member's vote in one voting round (an appeal opens a new round)."""

    class Choice(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        ABSTAIN = "abstain", _("Abstain")

    request = models.ForeignKey(DialogueRequest, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    decision = models.CharField(_("vote"), max_length=10, choices=Choice.choices)
    reason = models.TextField(_("reason"), blank=True)
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)
    alternate_for = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cast as alternate for"),
    )

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["round", "cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "member", "round"], name="partnership_one_vote_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} r{self.round} {self.member_id}: {self.decision}"


class ConflictDeclaration(models.Model):
    """A committee member recused from a request, by declaration or automatically."""

    request = models.ForeignKey(DialogueRequest, on_delete=models.CASCADE, related_name="conflicts")
    member = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    reason = models.TextField(_("reason"))
    automatic = models.BooleanField(_("automatic"), default=False)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ["declared_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "member"], name="partnership_one_conflict")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.member_id}"

    #: the words of an automatic recusal, translated when shown (the row keeps the words of its day)
    AUTOMATIC_REASON = _("Member of an organization that is party to the request.")

    @property
    def display_reason(self) -> str:
        """The reason in the reader's language: an automatic recusal's is the platform's, not stored text."""
        return str(self.AUTOMATIC_REASON) if self.automatic else self.reason


class SeatAbsence(models.Model):
    """A committee member who will not sit on a request: the seat's alternate sits and votes instead."""

    request = models.ForeignKey(DialogueRequest, on_delete=models.CASCADE, related_name="absences")
    member = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    reason = models.TextField(_("reason"))
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    class Meta:
        verbose_name = _("absence from a request")
        verbose_name_plural = _("absences from requests")
        ordering = ["declared_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "member"], name="partnership_one_absence")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.member_id}"


class Meeting(models.Model):
    """One session of the dialogue series; rescheduling keeps the iCalendar UID and bumps its sequence.

    A request may lead to several sessions (a roundtable, then a workshop, then a follow-up meeting),
    numbered in the order they were scheduled; each is scheduled, rescheduled, cancelled and recorded
    on its own.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        ROUNDTABLE = "roundtable", _("Roundtable")
        WORKSHOP = "workshop", _("Workshop")
        FOLLOW_UP = "follow_up", _("Follow-up meeting")
        POLICY_DIALOGUE = "policy_dialogue", _("Policy dialogue")
        CONSULTATION = "consultation", _("Consultation")

    request = models.ForeignKey(DialogueRequest, on_delete=models.CASCADE, related_name="meetings")
    number = models.PositiveSmallIntegerField(_("session number"), default=1)
    kind = models.CharField(_("session format"), max_length=20, choices=Kind.choices, default=Kind.ROUNDTABLE)
    title = models.CharField(_("session title"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    minutes = models.TextField(_("minutes of the session"), blank=True)
    held_at = models.DateTimeField(_("recorded as held at"), null=True, blank=True)
    uid = models.CharField(_("calendar UID"), max_length=120, unique=True)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("location"), max_length=300)
    online_url = models.URLField(_("online meeting link"), blank=True)
    agenda = models.TextField(_("agenda"))
    invitees = models.ManyToManyField(USER, blank=True, related_name="+", verbose_name=_("invitees"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    organizer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("organizer"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "number"], name="partnership_session_number")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.starts_at:%Y-%m-%d %H:%M}"


class MeetingChange(models.Model):
    """A reschedule or cancellation, with the old and new times."""

    class Kind(models.TextChoices):
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=12, choices=Kind.choices)
    old_starts_at = models.DateTimeField(_("old start"))
    old_ends_at = models.DateTimeField(_("old end"))
    new_starts_at = models.DateTimeField(_("new start"), null=True, blank=True)
    new_ends_at = models.DateTimeField(_("new end"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("meeting change")
        verbose_name_plural = _("meeting changes")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.kind}"


class Attendance(models.Model):
    """Whether an organization attended the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["meeting", "organization"], name="partnership_attendance_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.organization_id}: {self.present}"


class Participant(models.Model):
    """A person registered for a session (or a walk-in), and whether they attended."""

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        UNDISCLOSED = "undisclosed", _("Prefers not to say")

    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("Participant")
        SPEAKER = "speaker", _("Speaker")
        FACILITATOR = "facilitator", _("Facilitator")
        OBSERVER = "observer", _("Observer")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(_("name"), max_length=200)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    organization_name = models.CharField(_("organization (if not a member)"), max_length=200, blank=True)
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PARTICIPANT)
    walk_in = models.BooleanField(_("walk-in"), default=False)
    #: None until attendance is recorded after the session
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    registered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["registered_at", "id"]
        indexes = [models.Index(fields=["meeting", "attended"], name="partnership_participant_att")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.name}"

    @property
    def organization_label(self) -> str:
        if self.organization_id:
            return str(self.organization.display_name)
        return self.organization_name


class Outcome(models.Model):
    """Minutes, recommendations and the harvested outcome of the dialogue."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted")

    request = models.OneToOneField(DialogueRequest, on_delete=models.CASCADE, related_name="outcome")
    minutes = models.TextField(_("minutes"))
    summary = models.TextField(_("summary"))
    recommendations = models.JSONField(_("recommendations"), default=list, blank=True)
    agreements = models.TextField(_("agreements"), blank=True)
    what_changed = models.TextField(_("what changed"))
    who_changed = models.TextField(_("who changed"))
    significance = models.TextField(_("significance"))
    contribution = models.TextField(_("contribution of the dialogue"))
    evidence = models.TextField(_("evidence"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    restriction_reason = models.TextField(_("reason for restricting"), blank=True)
    #: of a restricted outcome, what may be said publicly, chosen explicitly (empty: the portal says nothing)
    public_summary = models.TextField(_("what may be said publicly"), blank=True)
    documented_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("documented by"))
    documented_at = models.DateTimeField(_("documented at"), default=timezone.now)
    #: which version of the minutes the parties confirm: 1 as documented, one more at each revision
    minutes_revision = models.PositiveSmallIntegerField(_("version of the minutes"), default=1)
    minutes_revised_at = models.DateTimeField(_("minutes revised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.summary[:40]}"


class MinutesConfirmation(models.Model):
    """A party's confirmation of the minutes; ``silent`` when the deadline passed without objection."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="confirmations")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("confirmed by")
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)
    silent = models.BooleanField(_("by silence"), default=False)

    class Meta:
        verbose_name = _("minutes confirmation")
        verbose_name_plural = _("minutes confirmations")
        ordering = ["confirmed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["outcome", "organization"], name="partnership_one_confirmation")]

    def __str__(self) -> str:
        return f"{self.outcome_id} {self.organization_id}"


class MinutesCorrection(models.Model):
    """A party's objection to the minutes, with what is wrong and the wording it proposes.

    Pending until the secretariat revises the minutes (``revised``) or refuses the request with a
    reason (``rejected``); while one is pending, silence does not confirm the minutes.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("minutes correction", "Pending")
        REVISED = "revised", pgettext_lazy("minutes correction", "Minutes revised")
        REJECTED = "rejected", pgettext_lazy("minutes correction", "Rejected")

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="corrections")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    #: the version of the minutes the correction is about
    revision = models.PositiveSmallIntegerField(_("version of the minutes"), default=1)
    text = models.TextField(_("correction requested"))
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        pgettext_lazy("minutes correction", "status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    answer = models.TextField(_("answer of the secretariat"), blank=True)
    answered_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("correction of the minutes")
        verbose_name_plural = _("corrections of the minutes")
        ordering = ["requested_at", "id"]
        constraints = [
            # One open objection per party: a second one while the first is pending is refused.
            models.UniqueConstraint(
                fields=["outcome", "organization"],
                condition=models.Q(status="pending"),
                name="partnership_one_pending_correction",
            )
        ]

    def __str__(self) -> str:
        return f"{self.outcome_id} {self.organization_id} {self.status}"


class ActionItem(models.Model):
    """A follow-up commitment from the dialogue, owned by an organization."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    request = models.ForeignKey(DialogueRequest, on_delete=models.CASCADE, related_name="action_items")
    description = models.TextField(_("description"))
    owner_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="action_items", verbose_name=_("owner organization")
    )
    owner_person = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=pgettext_lazy("person", "owner"),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    justification = models.TextField(_("justification"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def settled(self) -> bool:
        """Done, or dropped with a justification: nothing more is owed."""
        if self.status == self.Status.DONE:
            return True
        return self.status == self.Status.DROPPED and bool(self.justification.strip())


class ActionUpdate(models.Model):
    """Progress reported on an action item, with evidence and any status change."""

    action = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("update"))
    evidence_url = models.URLField(_("evidence link"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=attachment_path, blank=True, max_length=300)
    status_from = models.CharField(_("status before"), max_length=12, blank=True)
    status_to = models.CharField(_("status after"), max_length=12, blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("action update")
        verbose_name_plural = _("action updates")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.text[:40]}"
