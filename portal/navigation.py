"""What the main navigation offers to whom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass
class NavItem:
    label: Any
    url: str
    active: bool = False


# (url name, label, who sees it); "who" is checked by ``_visible``.
_ITEMS: list[tuple[str, Any, str]] = [
    ("portal:home", _("Home"), "signed_in"),
    ("portal:request_create", _("New request"), "requester"),
    ("portal:search", _("Requests"), "has_role"),
    ("portal:follow_up", _("Follow-up"), "follow_up"),
    ("portal:dashboard", _("Dashboard"), "reports"),
    ("outcomes:register", _("Outcome register"), "signed_in"),
    ("portal:transparency", _("Transparency portal"), "everyone"),
    ("portal:charter", _("Charter"), "everyone"),
    ("portal:committee", _("Committee"), "everyone"),
    ("portal:programme_report", _("Programme report"), "reports"),
]


# Items a workflow adds from its AppConfig.ready(): (url name, label, who sees it: a test on the request).
_REGISTERED: list[tuple[str, Any, Callable[[Any], bool]]] = []


def register(url_name: str, label: Any, visible: Callable[[Any], bool]) -> None:
    """Add a workflow's page to the main navigation (once per url name), after the portal's own items."""
    if all(name != url_name for name, _label, _visible in _REGISTERED):
        _REGISTERED.append((url_name, label, visible))


def _visible(audience: str | Callable[[Any], bool], request: Any) -> bool:
    from .access import viewer

    if callable(audience):
        return audience(request)

    user = getattr(request, "user", None)
    if audience == "everyone":
        return True
    if user is None or not user.is_authenticated:
        return False
    if audience == "signed_in":
        return True
    who = viewer(request)
    if audience == "requester":
        return who.is_requester
    if audience == "reports":
        return who.reads_reports
    if audience == "has_role":
        return bool(who.organization_ids) or who.is_secretariat or who.is_auditor or who.is_committee
    if audience == "follow_up":
        return who.is_secretariat or who.is_auditor or bool(who.coordinated_ids)
    return False


def items_for(request: Any) -> list[NavItem]:
    """The items this person sees; the one whose URL is the longest match of the path is current."""
    path = request.path
    items = []
    home = reverse("portal:home")
    for name, label, audience in [*_ITEMS, *_REGISTERED]:
        if not _visible(audience, request):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append(NavItem(label=label, url=url))
    matches = [item for item in items if (path == item.url if item.url == home else path.startswith(item.url))]
    if matches:
        max(matches, key=lambda item: len(item.url)).active = True
    return items
