"""OpenAPI pieces shared by every endpoint: the error shape, its examples, and the error responses
each operation can give (so the schema is honest about 401/403/404/409/429 and clients can rely on it).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code of the rule that refused the action.")
    message = serializers.CharField(help_text="Why, in the caller's language.")
    article = serializers.CharField(allow_null=True, help_text="The charter article the rule enforces, if any.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code: branch on this, not on the message.")
    message = serializers.CharField(help_text="Human message in the language asked for with Accept-Language.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages (400 only); nested fields are dotted, e.g. `items.0`.",
    )
    reasons = ReasonSerializer(many=True, required=False, help_text="Why a rule refused the action (403, 409).")


def _example(name: str, body: dict[str, Any], summary: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=body, summary=summary or name, response_only=True)


EXAMPLES: dict[str, list[OpenApiExample]] = {
    "400": [
        _example(
            "invalid",
            {
                "code": "invalid",
                "message": "Some fields are missing or invalid.",
                "errors": {"title": ["This field is required."], "theme": ["Unknown theme."]},
            },
            "A field is missing or wrong",
        ),
        _example(
            "malformed",
            {"code": "malformed", "message": "The request body could not be read as JSON."},
            "The body is not JSON",
        ),
    ],
    "401": [
        _example(
            "not_authenticated",
            {"code": "not_authenticated", "message": "Sign in first: send a token or a session cookie."},
            "No or bad credentials",
        )
    ],
    "403": [
        _example(
            "not_permitted",
            {
                "code": "not_permitted",
                "message": "You are not permitted to take this action.",
                "reasons": [{"code": "not_permitted", "message": "Only the secretariat may do this.", "article": None}],
            },
            "The caller's role does not allow it",
        )
    ],
    "404": [
        _example(
            "not_found",
            {"code": "not_found", "message": "Nothing was found at this address, or you may not see it."},
            "Unknown, or not visible to the caller",
        )
    ],
    "409": [
        _example(
            "transition_not_allowed",
            {"code": "transition_not_allowed", "message": "This action is not possible in the case's current state."},
            "The current state does not allow it",
        ),
        _example(
            "guard_failed",
            {
                "code": "guard_failed",
                "message": "A charter rule prevents this action.",
                "reasons": [
                    {
                        "code": "counterpart_same_side",
                        "message": "At least one counterpart must be on the other side.",
                        "article": "5",
                    }
                ],
            },
            "A charter rule blocks it",
        ),
        _example(
            "conflict",
            {
                "code": "conflict",
                "message": "Someone else changed this case at the same time. Reload it and try again.",
            },
            "A concurrent change won the race",
        ),
    ],
    "413": [_example("too_large", {"code": "too_large", "message": "The request body is too large."})],
    "415": [
        _example(
            "unsupported_media_type",
            {
                "code": "unsupported_media_type",
                "message": "Send the request body as JSON (Content-Type: application/json).",
            },
        )
    ],
    "429": [
        _example(
            "throttled",
            {"code": "throttled", "message": "Too many attempts. Try again in 42 seconds."},
            "Rate limit reached",
        )
    ],
}

DESCRIPTIONS = {
    "400": "Bad input: `errors` lists the messages per field.",
    "401": "Not signed in.",
    "403": "Signed in, but this caller may not do this (`reasons` say who may).",
    "404": "Not found, or not visible to this caller.",
    "409": "Refused by the case: `transition_not_allowed`, `guard_failed` (with `reasons`) or `conflict`.",
    "413": "Request body too large.",
    "415": "The body is not JSON.",
    "429": "Too many requests; see the Retry-After header.",
}


def error_response(status_code: int | str, description: str = "") -> OpenApiResponse:
    key = str(status_code)
    return OpenApiResponse(
        response=ErrorSerializer, description=description or DESCRIPTIONS.get(key, ""), examples=EXAMPLES.get(key, [])
    )


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: error_response(code) for code in codes}


class ApiAutoSchema(AutoSchema):
    """Adds the error answers every operation can give, unless the view already documented them."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        view = self.view
        codes: list[int] = [404]
        if self.method in {"POST", "PUT", "PATCH"}:
            codes += [400, 413, 415]
        elif self._has_query_parameters():
            codes.append(400)
        if not getattr(view, "public", False):
            codes += [401, 403]
        if getattr(view, "throttle_classes", None):
            codes.append(429)
        for code in codes:
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(error_response(code), str(code), direction=direction)
        return dict(sorted(responses.items()))

    def _has_query_parameters(self) -> bool:
        return bool(getattr(self.view, "filter_serializer_class", None)) or self._is_list_view()


def paginated(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """The page envelope of PageNumberPagination around ``item``, for hand-built list views."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <token>`` with knox's hashed, expiring tokens (api/tokens.py)."""

    target_class = "api.tokens.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
        definition["description"] = (
            "`Authorization: Token <token>`, the token from `POST /api/v1/auth/token/`. Each token expires at its "
            "`expires_at` (TOKEN_TTL, 10 hours by default) and is refused with 401 afterwards; "
            "`POST /api/v1/auth/token/rotate/` exchanges a live token for a fresh one. Changing the password or "
            "deactivating the account revokes every token of the user."
        )
        return definition
