"""Roles are named, object-level predicates: "may this user act on this case in this role?"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Role:
    """A named predicate over (flow, user); the label explains who it admits."""

    code: str
    label: Any
    check: Callable[[Any, Any], bool]

    def admits(self, flow: Any, user: Any) -> bool:
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return bool(self.check(flow, user))


SYSTEM = Role("system", "system", lambda flow, user: False)
