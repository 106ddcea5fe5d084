"""Why something is refused: a stable code, a translatable message and the rule it enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """One reason a transition is refused; ``message`` is a lazy translation."""

    code: str
    message: Any
    article: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: the error the engine raises when this is the only reason (e.g. "already voted" is a conflict
    #: with a code of its own rather than a charter rule); ``GuardFailed`` otherwise
    error: Any = None

    def text(self) -> str:
        message = str(self.message)
        return message % self.params if self.params else message

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.text(), "article": self.article}
