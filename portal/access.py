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

    @property
    def is_signed_in(self) -> bool:
        return self.user is not None and self.user.is_authenticated


def _build(user: Any) -> Viewer:
    if user is None or not user.is_authenticated:
        return Viewer(user=user)
    return Viewer(user=user)


def viewer(request: Any) -> Viewer:
    """The request's viewer, computed on first use and kept on the request."""
    cached = getattr(request, "_portal_viewer", None)
    if cached is None:
        cached = _build(getattr(request, "user", None))
        request._portal_viewer = cached
    return cached
