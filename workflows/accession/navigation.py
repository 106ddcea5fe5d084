"""The membership pages in the portal's main navigation (registered when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from portal import navigation


def _signed_in(request: Any) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _applicant_or_oversight(request: Any) -> bool:
    """People without an organization (who may apply) and the secretariat and auditors (who vet)."""
    from portal.access import viewer

    if not _signed_in(request):
        return False
    who = viewer(request)
    return not who.organization_ids or who.is_secretariat or who.is_auditor


def _oversight(request: Any) -> bool:
    from portal.access import viewer

    return _signed_in(request) and (viewer(request).is_secretariat or viewer(request).is_auditor)


def _member(request: Any) -> bool:
    from portal.access import viewer

    return _signed_in(request) and bool(viewer(request).organization_ids)


def register() -> None:
    navigation.register("accession:members", _("Members"), _oversight)
    navigation.register("accession:my_organization", _("My organization"), _member)
    navigation.register("accession:applications", _("Membership"), _applicant_or_oversight)
    navigation.register("accession:sign_up", _("Join the platform"), lambda request: not _signed_in(request))
