"""The outcome register: harvested outcomes (one change in one social actor) and trackable recommendations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from engine.models import Case
from partners.models import Organization, Side, Theme
from workflows.partnership.models import ActionItem, DialogueRequest
from workflows.partnership.models import Outcome as DialogueOutcome

USER = settings.AUTH_USER_MODEL


def _localized(english: str, arabic: str) -> str:
    if arabic and (get_language() or "").startswith("ar"):
        return arabic
    return english or arabic


class Recommendation(Case):
    """A recommendation of a dialogue as a trackable item: an owner, a status (the state) and progress."""

    REFERENCE_PREFIX = "RC"

    text = models.TextField(_("recommendation (English)"), blank=True)
    text_ar = models.TextField(_("recommendation (Arabic)"), blank=True)
    request = models.ForeignKey(
        DialogueRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tracked_recommendations",
        verbose_name=_("dialogue request"),
    )
    source_outcome = models.ForeignKey(
        DialogueOutcome,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracked_recommendations",
        verbose_name=_("documented outcome"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    owner_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recommendations_owned",
        verbose_name=_("owner organization"),
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_updated_at = models.DateTimeField(_("progress updated at"), null=True, blank=True)
    action_items = models.ManyToManyField(
        ActionItem, blank=True, related_name="recommendations", verbose_name=_("follow-up actions")
    )

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["request_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="outcomes_progress_at_most_100"),
            models.UniqueConstraint(
                fields=["source_outcome", "position"],
                condition=models.Q(source_outcome__isnull=False),
                name="outcomes_one_item_per_recommendation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.display_text[:60]}"

    @property
    def display_text(self) -> str:
        return _localized(self.text, self.text_ar)

    @property
    def title(self) -> str:
        """A short name for notifications and lists."""
        text = self.display_text
        return text if len(text) <= 120 else text[:119] + "…"


class ProgressNote(models.Model):
    """A dated progress report on a recommendation (the history of its status and percentage)."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="progress_notes")
    status_from = models.CharField(_("status before"), max_length=20)
    status_to = models.CharField(_("status after"), max_length=20)
    progress_from = models.PositiveSmallIntegerField(_("progress before (%)"))
    progress_to = models.PositiveSmallIntegerField(_("progress after (%)"))
    note = models.TextField(_("note"))
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    audit_seq = models.PositiveIntegerField(_("audit event"), default=0)

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.recommendation_id} {self.progress_to}%"


class HarvestedOutcome(Case):
    """One change in one social actor, harvested after a dialogue, then substantiated and published."""

    REFERENCE_PREFIX = "OC"

    class ChangeType(models.TextChoices):
        POLICY = "policy", _("Policy")
        PRACTICE = "practice", _("Practice")
        RELATIONSHIP = "relationship", _("Relationship")
        DISCOURSE = "discourse", _("Discourse")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted")

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        QUALIFIED = "qualified", _("Confirmed with a qualification")
        DISPUTED = "disputed", _("Disputed")

    title = models.CharField(_("title"), max_length=200)
    social_actor = models.CharField(_("who changed (social actor)"), max_length=300)
    actor_side = models.CharField(_("actor's side"), max_length=10, choices=Side.choices)
    change = models.TextField(_("what changed"))
    changed_on = models.DateField(_("when it changed"))
    place = models.CharField(_("where"), max_length=200)
    significance = models.TextField(_("significance"))
    contribution = models.TextField(_("contribution of the dialogue"))
    evidence_links = models.JSONField(_("evidence links"), default=list, blank=True)
    change_type = models.CharField(_("type of change"), max_length=20, choices=ChangeType.choices)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="+", verbose_name=_("theme"))
    requests = models.ManyToManyField(
        DialogueRequest, related_name="harvested_outcomes", verbose_name=_("dialogue requests")
    )
    recommendations = models.ManyToManyField(
        Recommendation, blank=True, related_name="outcomes", verbose_name=_("recommendations")
    )
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    public_summary = models.TextField(_("what may be said publicly (English)"), blank=True)
    public_summary_ar = models.TextField(_("what may be said publicly (Arabic)"), blank=True)
    harvested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("harvested by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    verdict = models.CharField(_("substantiation"), max_length=12, choices=Verdict.choices, blank=True)
    verdict_note = models.TextField(_("substantiator's note"), blank=True)
    substantiated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("substantiated by")
    )
    substantiated_at = models.DateTimeField(_("substantiated at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)

    class Meta:
        verbose_name = _("harvested outcome")
        verbose_name_plural = _("harvested outcomes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def display_public_summary(self) -> str:
        return _localized(self.public_summary, self.public_summary_ar)


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"outcomes/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class Evidence(models.Model):
    """A document supporting a harvested outcome (checked like every upload)."""

    outcome = models.ForeignKey(HarvestedOutcome, on_delete=models.CASCADE, related_name="evidence_documents")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
