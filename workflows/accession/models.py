"""An application to join the platform: an organization asks to become a member and accepts the charter."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import Case
from partners.models import CharterVersion, Organization, Side, Theme

#: states of an application still under way: at most one per organization name (English or Arabic)
PENDING_STATES = ("draft", "submitted", "info_requested")


class Application(Case):
    REFERENCE_PREFIX = "AC"

    Side = Side

    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Public agency")
        CSO = "cso", _("Civil-society organization")
        NETWORK = "network", _("Network of organizations")

    name = models.CharField(_("name (English)"), max_length=200)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="+", verbose_name=_("themes"))
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="accession_applications",
        verbose_name=_("applicant"),
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accession_applications",
        verbose_name=_("organization"),
    )
    charter_version = models.ForeignKey(
        CharterVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("charter version accepted"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)

    class Meta:
        verbose_name = _("membership application")
        verbose_name_plural = _("membership applications")
        constraints = [
            # Two people applying at once for one organization: the database keeps only one under way.
            models.UniqueConstraint(
                Lower(Trim("name")), condition=Q(state__in=PENDING_STATES), name="accession_one_pending_per_name"
            ),
            models.UniqueConstraint(
                Trim("name_ar"), condition=Q(state__in=PENDING_STATES), name="accession_one_pending_per_name_ar"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


def document_path(instance: ApplicationDocument, filename: str) -> str:
    # A random folder per file: names never collide and never reveal other files' names.
    return f"accession/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class ApplicationDocument(models.Model):
    """A supporting document of an application (statutes, registration certificate, board list, ...)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="documents", verbose_name=_("application")
    )
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class MemberFile(Case):
    """A member organization's file: its coordinator's handovers and its suspensions, each audited on it."""

    REFERENCE_PREFIX = "MB"

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="member_file", verbose_name=_("organization")
    )
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("proposed coordinator"),
    )
    handover_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("outgoing coordinator"),
    )
    status_reason = models.TextField(_("reason of the last suspension or reinstatement"), blank=True)

    class Meta:
        verbose_name = _("member file")
        verbose_name_plural = _("member files")

    def __str__(self) -> str:
        return f"{self.reference} {self.organization}"
