"""Who takes part: organizations, their people, the committee, the secretariat and the charter."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    PUBLIC = "public", _("Public sector")
    CIVIL = "civil", _("Civil society")


def _localized(english: str, arabic: str) -> str:
    """The Arabic text for Arabic readers when there is one, the English otherwise."""
    if arabic and (get_language() or "").startswith("ar"):
        return arabic
    return english or arabic


class Theme(models.Model):
    """A policy theme a dialogue can be about (disability rights, juvenile justice, ...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (English)"), max_length=120)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["ordering", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localized(self.name, self.name_ar)


class Organization(models.Model):
    """A ministry, public agency, CSO or network taking part in the platform."""

    Side = Side

    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Public agency")
        CSO = "cso", _("Civil-society organization")
        NETWORK = "network", _("Network of organizations")
        SECRETARIAT = "secretariat", _("Secretariat office")

    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name (English)"), max_length=200)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="organizations", verbose_name=_("themes"))
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)
    registration_details = models.TextField(_("registration details"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    active = models.BooleanField(_("active member"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localized(self.name, self.name_ar)


class Membership(models.Model):
    """A person acting for an organization: its coordinator or a member."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organization")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="partners_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class PlatformRole(models.Model):
    """A platform-wide role held by a person: secretariat staff, its lead, or an auditor."""

    class Role(models.TextChoices):
        SECRETARIAT = "secretariat", _("Secretariat")
        SECRETARIAT_LEAD = "secretariat_lead", _("Secretariat lead")
        AUDITOR = "auditor", _("Auditor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_roles", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("platform role")
        verbose_name_plural = _("platform roles")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="partners_platformrole_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_role_display()}"


class CommitteeSeat(models.Model):
    """A seat on the coordination committee, on the public-sector or the civil-society side."""

    Side = Side

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="committee_seats", verbose_name=_("user")
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    is_chair = models.BooleanField(_("chair"), default=False)
    active = models.BooleanField(_("active"), default=True)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committee_seats",
        verbose_name=_("organization represented"),
    )
    since = models.DateField(_("term starts"), default=timezone.localdate)
    term_end = models.DateField(
        _("term ends"), null=True, blank=True, help_text=_("Last day of the term; empty for an open term.")
    )
    is_deputy_chair = models.BooleanField(
        _("deputy chair"), default=False, help_text=_("Casts the deciding vote when the chair is recused.")
    )
    alternate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alternate_for_seats",
        verbose_name=_("alternate"),
        help_text=_("Sits and votes in this seat when its member is recused."),
    )
    sectors = models.CharField(_("sectors (English)"), max_length=300, blank=True)
    sectors_ar = models.CharField(_("sectors (Arabic)"), max_length=300, blank=True)
    specialization = models.CharField(_("specialization (English)"), max_length=300, blank=True)
    specialization_ar = models.CharField(_("specialization (Arabic)"), max_length=300, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="committee_seats", verbose_name=_("themes"))

    class Meta:
        verbose_name = _("committee seat")
        verbose_name_plural = _("committee seats")
        ordering = ["-is_chair", "side", "id"]
        constraints = [
            # Exactly one person convenes and casts the deciding vote.
            models.UniqueConstraint(
                fields=["is_chair"], condition=Q(is_chair=True, active=True), name="partners_one_active_chair"
            ),
            models.UniqueConstraint(fields=["user"], condition=Q(active=True), name="partners_one_active_seat"),
            models.UniqueConstraint(
                fields=["is_deputy_chair"],
                condition=Q(is_deputy_chair=True, active=True),
                name="partners_one_active_deputy_chair",
            ),
        ]

    def __str__(self) -> str:
        chair = f" ({_('chair')})" if self.is_chair else ""
        return f"{self.user} – {self.get_side_display()}{chair}"

    def in_term(self, day: date) -> bool:
        """Whether ``day`` falls within the seat's term (a member outside it has no vote)."""
        return self.since <= day and (self.term_end is None or day <= self.term_end)

    @property
    def sectors_display(self) -> str:
        return _localized(self.sectors, self.sectors_ar)

    @property
    def specialization_display(self) -> str:
        return _localized(self.specialization, self.specialization_ar)


class CharterVersion(models.Model):
    """One published text of the Partnership Charter; organizations accept each version."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title (English)"), max_length=200, default="Partnership Charter")
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        verbose_name = _("charter version")
        verbose_name_plural = _("charter versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="partners_one_current")
        ]

    def __str__(self) -> str:
        return f"{_localized(self.title, self.title_ar)} v{self.number}"


class CharterArticle(models.Model):
    """An article of a charter version; guards cite it by number."""

    version = models.ForeignKey(
        CharterVersion, on_delete=models.CASCADE, related_name="articles", verbose_name=_("version")
    )
    number = models.CharField(_("number"), max_length=10)
    title = models.CharField(_("title (English)"), max_length=200)
    title_ar = models.CharField(_("title (Arabic)"), max_length=200)
    text = models.TextField(_("text (English)"))
    text_ar = models.TextField(_("text (Arabic)"))

    class Meta:
        verbose_name = _("charter article")
        verbose_name_plural = _("charter articles")
        ordering = ["version", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="partners_article_number")]

    def __str__(self) -> str:
        return f"{_('Article')} {self.number}: {self.display_title}"

    @property
    def display_title(self) -> str:
        return _localized(self.title, self.title_ar)

    @property
    def display_text(self) -> str:
        return _localized(self.text, self.text_ar)


class CharterAcceptance(models.Model):
    """An organization's acceptance of one charter version, by one of its coordinators."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="charter_acceptances", verbose_name=_("organization")
    )
    version = models.ForeignKey(
        CharterVersion, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("version")
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("accepted by")
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("charter acceptance")
        verbose_name_plural = _("charter acceptances")
        ordering = ["-accepted_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "version"], name="partners_acceptance_unique")]

    def __str__(self) -> str:
        return f"{self.organization} – v{self.version.number}"
