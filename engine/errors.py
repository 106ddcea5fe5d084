"""Errors raised by the transition service; each carries a stable code for APIs and UIs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .reasons import Reason


class EngineError(Exception):
    code = "engine_error"
    default_message: Any = _("The action could not be completed.")

    def __init__(self, message: Any = None, *, reasons: list[Reason] | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.reasons = list(reasons or [])
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.reasons:
            body["reasons"] = [reason.as_dict() for reason in self.reasons]
        return body


class UnknownTransition(EngineError):
    code = "unknown_transition"
    default_message = _("This flow has no such action.")


class TransitionNotAllowedError(EngineError):
    code = "transition_not_allowed"
    default_message = _("This action is not possible in the case's current state.")


class NotPermitted(EngineError):
    code = "not_permitted"
    default_message = _("You are not permitted to take this action.")


class GuardFailed(EngineError):
    code = "guard_failed"
    default_message = _("A charter rule prevents this action.")


class InvalidInput(EngineError):
    code = "invalid"
    default_message = _("Some fields are missing or invalid.")

    def __init__(self, errors: dict[str, list[str]], message: Any = None) -> None:
        self.errors = errors
        super().__init__(message)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "errors": self.errors}


class ConcurrentChange(EngineError):
    code = "conflict"
    default_message = _("Someone else changed this case at the same time. Reload it and try again.")


class IdempotencyKeyReused(EngineError):
    """The same ``Idempotency-Key`` came back with another body or for another action."""

    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was used for another action.")
