"""Who the signed-in user is in the portal's terms, asked once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Viewer:
    user: Any = None
    is_requester: bool = False
    is_secretariat: bool = False
    is_committee: bool = False
    is_chair: bool = False
    is_auditor: bool = False
    organization_ids: list[int] = field(default_factory=list)
    coordinated_ids: list[int] = field(default_factory=list)

    @property
    def is_signed_in(self) -> bool:
        return self.user is not None and self.user.is_authenticated

    @property
    def reads_reports(self) -> bool:
        """The dashboard and the programme report: the people who answer for the programme as a whole."""
        return self.is_secretariat or self.is_auditor or self.is_chair


def _build(user: Any) -> Viewer:
    if user is None or not user.is_authenticated:
        return Viewer(user=user)
    from partners.selectors import user_access

    access = user_access(user)
    return Viewer(
        user=user,
        is_requester=bool(access.coordinated_ids),
        is_secretariat=bool(access.roles & {"secretariat", "secretariat_lead"}),
        is_committee=access.seat is not None,
        is_chair=access.seat is not None and access.seat.is_chair,
        is_auditor="auditor" in access.roles,
        organization_ids=sorted(access.organization_ids),
        coordinated_ids=sorted(access.coordinated_ids),
    )


def viewer(request: Any) -> Viewer:
    """The request's viewer, computed on first use and kept on the request."""
    cached = getattr(request, "_portal_viewer", None)
    if cached is None:
        cached = _build(getattr(request, "user", None))
        request._portal_viewer = cached
    return cached


def may_read_reports(request: Any) -> bool:
    """Whether the signed-in user may open the dashboard and the programme report (one rule for both).

    What the figures count is still limited to the requests the reader may see
    (``selectors.visible_requests``); this only decides who opens the pages.
    """
    return viewer(request).reads_reports
