"""An application to join the platform: an organization asks to become a member and accepts the charter."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from engine.models import Case
from partners.models import CharterVersion, Organization, Side, Theme


class Application(Case):
    REFERENCE_PREFIX = "AC"
    #: Held to every audit event's digest (engine.snapshot): an edit outside the engine is named by audit_verify.
    audited_fields = (
        "name",
        "name_ar",
        "side",
        "kind",
        "registration_number",
        "contact_email",
        "contact_phone",
        "applicant",
        "organization",
        "charter_version",
        "decision_reason",
    )

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

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"
