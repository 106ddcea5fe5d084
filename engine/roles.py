"""Roles are named, object-level predicates: "may this user act on this case in this role?"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .reasons import Reason


@dataclass(frozen=True)
class Role:
    """A named predicate over (flow, user); the label explains who it admits."""

    code: str
    label: Any
    check: Callable[[Any, Any], bool]
    #: why this role does not admit a person who might expect it to (a recused member, a person
    #: with no seat): ``(flow, user) -> Reason | None``; the generic "only ... may" otherwise
    explain: Callable[[Any, Any], Reason | None] | None = None

    def admits(self, flow: Any, user: Any) -> bool:
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return bool(self.check(flow, user))

    def refusal(self, flow: Any, user: Any) -> Reason | None:
        if self.explain is None or user is None or not getattr(user, "is_authenticated", False):
            return None
        return self.explain(flow, user)


SYSTEM = Role("system", "system", lambda flow, user: False)
