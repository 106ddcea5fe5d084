"""The only writers of charter acceptance and publication."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.errors import InvalidInput, NotPermitted
from engine.reasons import Reason

from .models import CharterAcceptance, CharterVersion, Organization
from .selectors import user_access
from .signals import charter_accepted


@transaction.atomic
def organization_accept_charter(
    *, organization: Organization, actor: Any, charter_version: int | None = None, context: Any = None
) -> CharterAcceptance:
    """The organization (through its coordinator) accepts the charter version in force; idempotent.

    ``charter_version`` is the version number the coordinator read: accepting any other (an old or an
    unknown one) is refused and changes nothing. A new acceptance sends ``signals.charter_accepted``
    (a workflow audits it on its own case).
    """
    if organization.pk not in user_access(actor).coordinated_ids:
        raise NotPermitted(
            reasons=[Reason("not_permitted", _("Only a coordinator of the organization may accept the charter."))]
        )
    version = CharterVersion.objects.select_for_update().filter(is_current=True).first()
    if version is None:
        raise InvalidInput({"version": [str(_("No charter version is in force."))]})
    if charter_version is not None and charter_version != version.number:
        known = CharterVersion.objects.filter(number=charter_version).exists()
        message = (
            _("Version %(given)s of the charter is no longer in force: accept the current version, %(current)s.")
            if known
            else _("There is no version %(given)s of the charter: the current version is %(current)s.")
        )
        raise InvalidInput({"charter_version": [str(message) % {"given": charter_version, "current": version.number}]})
    acceptance, created = CharterAcceptance.objects.get_or_create(
        organization=organization, version=version, defaults={"accepted_by": actor, "accepted_at": timezone.now()}
    )
    if created:
        charter_accepted.send(sender=CharterAcceptance, acceptance=acceptance, actor=actor, context=context)
    return acceptance


@transaction.atomic
def charter_publish(*, version: CharterVersion, actor: Any) -> CharterVersion:
    """Make ``version`` the charter in force; every organization must accept it again before submitting."""
    if not (user_access(actor).roles & {"secretariat_lead"} or getattr(actor, "is_superuser", False)):
        raise NotPermitted(
            reasons=[Reason("not_permitted", _("Only the secretariat lead may publish a charter version."))]
        )
    if not version.articles.exists():
        raise InvalidInput({"articles": [str(_("A charter version needs at least one article."))]})
    CharterVersion.objects.select_for_update().filter(is_current=True).exclude(pk=version.pk).update(is_current=False)
    version.is_current = True
    version.published_at = version.published_at or timezone.now()
    version.save(update_fields=["is_current", "published_at"])
    return version
