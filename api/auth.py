"""Token sign-in, rate-limited per IP and per username, with no timing tell about unknown usernames.

``django.contrib.auth.authenticate`` with ModelBackend already runs the default password hasher once
for an unknown username (``UserModel().set_password``) and for an unusable password
(``verify_password``'s fake run), so every refusal costs one hash; the tests assert it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from engine.client_ip import client_ip

from .errors import ApiError
from .schema import EXAMPLES, ErrorSerializer, error_responses
from .tokens import ExpiringTokenAuthentication, token_issue, token_rotate, tokens_revoke_all
from .views import ApiView

DEFAULT_AUTH_RATES = {"auth_ip": "20/min", "auth_username": "5/min"}


def auth_rates() -> dict[str, str]:
    """Rates of the sign-in throttles; ``settings.API_AUTH_THROTTLE_RATES`` overrides them."""
    return {**DEFAULT_AUTH_RATES, **getattr(settings, "API_AUTH_THROTTLE_RATES", {})}


class _AuthThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return auth_rates().get(self.scope)

    def get_ident(self, request: Request) -> str:
        # The same client address as the audit trail and the login lockout (TRUSTED_PROXIES /
        # TRUSTED_PROXY_COUNT), not DRF's own NUM_PROXIES reading of X-Forwarded-For.
        return client_ip(request._request) or ""


class AuthIpThrottle(_AuthThrottle):
    """Sign-in attempts per client address (``engine.client_ip``: REMOTE_ADDR unless a proxy is trusted)."""

    scope = "auth_ip"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthUsernameThrottle(_AuthThrottle):
    """Sign-in attempts per username, whatever address they come from (password spraying)."""

    scope = "auth_username"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username.strip():
            return None
        ident = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Only a hash of it is stored: keep it, it cannot be shown again."
    )
    expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            "When the token stops working (ISO-8601; the server's TOKEN_TTL, 10 hours by default). Before then, "
            "`POST /api/v1/auth/token/rotate/` exchanges it for a fresh one. Every token of a user is revoked "
            "when their password changes or their account is deactivated; a refused token answers 401."
        ),
    )


class ObtainTokenView(ApiView):
    """Exchange a username and password for an API token."""

    public = True
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpThrottle, AuthUsernameThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            **error_responses(400),
            429: OpenApiResponse(
                response=ErrorSerializer,
                description=(
                    "`throttled`: too many attempts from this address or for this username (see Retry-After). "
                    "`locked_out`: too many failed sign-ins for this username from this address; the account "
                    "stays locked for that address for the cool-off time (Retry-After) or until the "
                    "secretariat unlocks it."
                ),
                examples=[
                    *EXAMPLES["429"],
                    OpenApiExample(
                        "locked_out",
                        value={
                            "code": "locked_out",
                            "message": "Too many failed sign-in attempts. Try again in 15 minutes, or ask the "
                            "secretariat to unlock the account.",
                        },
                        summary="Locked out after repeated failures",
                        response_only=True,
                    ),
                ],
            ),
        },
        examples=[
            OpenApiExample("sign in", value={"username": "secretariat", "password": "secret"}, request_only=True),
            OpenApiExample(
                "token",
                value={
                    "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b9944b09199c62bcf9418ad84",
                    "expires_at": "2026-11-24T04:00:00+02:00",
                },
                response_only=True,
            ),
            OpenApiExample(
                "wrong credentials",
                value={"code": "invalid_credentials", "message": "Unable to sign in with these credentials."},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=credentials.validated_data["username"],
            password=credentials.validated_data["password"],
        )
        if user is None:
            # Same answer for an unknown user, a wrong password and an inactive account.
            raise ApiError("invalid_credentials", _("Unable to sign in with these credentials."))
        # A token sign-in is a sign-in: last_login moves and the lockout's failure count starts again
        # (django-axes listens to this signal, as it does for the portal's and the admin's forms).
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, expires_at = token_issue(user=user)
        return Response(TokenSerializer({"token": token, "expires_at": expires_at}).data)

    @extend_schema(operation_id="auth_token_destroy", tags=["auth"], request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Revoke every token of the caller (sign out of every script and device)."""
        tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_authenticators(self) -> list[Any]:
        # Signing in needs no credentials; revoking needs the token (or session) being revoked.
        if self.request is not None and self.request.method == "DELETE":
            return [ExpiringTokenAuthentication(), SessionAuthentication()]
        return []


class RotateTokenView(ApiView):
    """Exchange the token in use for a fresh one with a new expiry; the old token stops working at once."""

    authentication_classes = [ExpiringTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_rotate",
        tags=["auth"],
        request=None,
        responses={200: TokenSerializer},
        examples=[
            OpenApiExample(
                "token",
                value={"token": "5c1f0e...64 characters", "expires_at": "2026-11-24T04:00:00+02:00"},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        token, expires_at = token_rotate(current=request.auth)
        return Response(TokenSerializer({"token": token, "expires_at": expires_at}).data)

    def get_permissions(self) -> list[Any]:
        if self.request is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    def get_throttles(self) -> list[Any]:
        if self.request is not None and self.request.method == "DELETE":
            return []
        return super().get_throttles()
