"""One error shape for the whole API: ``{code, message, errors?, reasons?}``, in the caller's language.

DRF errors, Django errors and the engine's errors (each with a stable ``code``) all end up here, so a
client can branch on ``code`` and show ``message`` without parsing prose.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from engine import errors as engine_errors

logger = logging.getLogger(__name__)

#: HTTP status of each engine error; an unknown EngineError subclass is a 409 (the case refused it).
ENGINE_STATUS: dict[type[engine_errors.EngineError], int] = {
    engine_errors.UnknownTransition: status.HTTP_404_NOT_FOUND,
    engine_errors.TransitionNotAllowedError: status.HTTP_409_CONFLICT,
    engine_errors.NotPermitted: status.HTTP_403_FORBIDDEN,
    engine_errors.GuardFailed: status.HTTP_409_CONFLICT,
    engine_errors.InvalidInput: status.HTTP_400_BAD_REQUEST,
    engine_errors.ConcurrentChange: status.HTTP_409_CONFLICT,
    engine_errors.IdempotencyKeyReused: status.HTTP_422_UNPROCESSABLE_ENTITY,
}

MESSAGES: dict[str, Any] = {
    "invalid": _("Some fields are missing or invalid."),
    "malformed": _("The request body could not be read as JSON."),
    "not_authenticated": _("Sign in first: send a token or a session cookie."),
    "authentication_failed": _("The credentials are not valid."),
    "not_permitted": _("You are not permitted to do this."),
    "not_found": _("Nothing was found at this address, or you may not see it."),
    "method_not_allowed": _("This method is not allowed here."),
    "not_acceptable": _("This API answers in JSON only."),
    "unsupported_media_type": _("Send the request body as JSON (Content-Type: application/json)."),
    "throttled": _("Too many attempts. Wait a little and try again."),
    "server_error": _("Something went wrong on our side. The error has been logged."),
    "conflict": _("Someone else changed this case at the same time. Reload it and try again."),
}

#: The engine's own words, as it raises them: listed here so the API's catalogue translates them
#: (Django merges every app's catalogue) while the engine has no Arabic catalogue of its own.
ENGINE_MESSAGES: dict[str, Any] = {
    "engine_error": _("The action could not be completed."),
    "unknown_transition": _("This flow has no such action."),
    "transition_not_allowed": _("This action is not possible in the case's current state."),
    "not_permitted": _("You are not permitted to take this action."),
    "guard_failed": _("A charter rule prevents this action."),
    "invalid": _("Some fields are missing or invalid."),
    "conflict": _("Someone else changed this case at the same time. Reload it and try again."),
    "not_permitted_roles": _("Only %(roles)s may do this."),
}

#: Error codes of DRF's exception classes that map onto one of ours.
_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ValidationError, "invalid"),
    (exceptions.ParseError, "malformed"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.PermissionDenied, "not_permitted"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


class ApiError(exceptions.APIException):
    """An error raised by our own views with a stable code and an optional per-field map."""

    def __init__(
        self,
        code: str,
        message: Any = None,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        errors: dict[str, list[str]] | None = None,
        reasons: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status_code = status_code
        self.error_code = code
        self.message = message if message is not None else MESSAGES.get(code, MESSAGES["invalid"])
        self.errors = errors
        self.reasons = reasons
        super().__init__(str(self.message), code)


def error_body(
    code: str,
    message: Any = None,
    *,
    errors: Mapping[str, list[str]] | None = None,
    reasons: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": str(message if message is not None else MESSAGES[code])}
    if errors:
        body["errors"] = {str(key): [str(m) for m in value] for key, value in errors.items()}
    if reasons:
        body["reasons"] = reasons
    return body


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field": [...], "items.0": [...]}``: one flat map per field."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub_key, messages in flatten_errors(value, name).items():
                flat.setdefault(sub_key, []).extend(messages)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    name = f"{prefix}.{index}" if prefix else str(index)
                    for sub_key, messages in flatten_errors(item, name).items():
                        flat.setdefault(sub_key, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def _throttled_message(wait: int | None) -> str:
    if not wait:
        return str(MESSAGES["throttled"])
    return ngettext(
        "Too many attempts. Try again in %(seconds)d second.",
        "Too many attempts. Try again in %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}


def _engine_response(exc: engine_errors.EngineError) -> Response:
    code_status = next(
        (value for klass, value in ENGINE_STATUS.items() if isinstance(exc, klass)), status.HTTP_409_CONFLICT
    )
    body = exc.as_dict()
    if isinstance(exc, engine_errors.InvalidInput):
        body["errors"] = {name: [str(m) for m in messages] for name, messages in exc.errors.items()}
    return Response(body, status=code_status)


def _drf_response(exc: exceptions.APIException) -> Response:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, exc.message, errors=exc.errors, reasons=exc.reasons)
        return Response(body, status=exc.status_code, headers=headers)
    code = next((value for klass, value in _DRF_CODES if isinstance(exc, klass)), "invalid")
    errors = None
    message: Any = MESSAGES.get(code)
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
    elif isinstance(exc, exceptions.Throttled):
        if exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        message = _throttled_message(exc.wait)
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail) != str(exc.default_detail):
        # A permission class or service explained itself: keep its words.
        message = exc.detail
    return Response(error_body(code, message, errors=errors), status=exc.status_code, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every known error as ``{code, message, errors?, reasons?}``."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)

    if isinstance(exc, engine_errors.EngineError):
        response = _engine_response(exc)
    elif isinstance(exc, exceptions.APIException):
        response = _drf_response(exc)
    else:
        return None
    set_rollback()
    return response


# --- plain Django views and middleware (no DRF request around them) -------------------------


def json_error(request: HttpRequest | None, code: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code), status=status_code, json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any address under /api/ that matches no endpoint."""
    return json_error(request, "not_found", status.HTTP_404_NOT_FOUND)


def server_error(request: HttpRequest | None = None) -> JsonResponse:
    return json_error(request, "server_error", status.HTTP_500_INTERNAL_SERVER_ERROR)
