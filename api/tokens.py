"""API tokens (django-rest-knox): hashed at rest, with an expiry, rotated on demand, revoked with the password.

knox keeps only a SHA-512 digest of each token, so a copy of the database gives no usable token, and
every token carries its own expiry (``REST_KNOX["TOKEN_TTL"]``). The header stays DRF's
``Authorization: Token <token>`` of the public contract (knox's AUTH_HEADER_PREFIX).

Revocation: every token of a user is deleted when their password is set (``set_password`` then
``save``: the portal, the admin, ``changepassword``, a password reset) and when the account is
deactivated. The hook is a ``post_save`` receiver on the user model that acts only when
``User.save()`` is about to report a new password (Django keeps the raw password in ``_password``
until then, for the validators' ``password_changed``) or the account is inactive, so an ordinary save
costs nothing. A password written behind Django's back (a raw SQL ``UPDATE``) is not seen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions


def token_issue(*, user: Any) -> tuple[str, datetime | None]:
    """A fresh token for ``user`` and when it expires; the user's expired tokens are swept."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


@transaction.atomic
def token_rotate(*, current: AuthToken) -> tuple[str, datetime | None]:
    """Replace the token in use by a fresh one (new expiry); the old one stops working at once."""
    user = current.user
    AuthToken.objects.filter(pk=current.pk).delete()
    return token_issue(user=user)


def token_revoke(*, current: AuthToken) -> None:
    AuthToken.objects.filter(pk=current.pk).delete()


def tokens_revoke_all(*, user: Any) -> int:
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted


def revoke_tokens_on_credential_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """post_save of the user model: a new password or a deactivated account ends every API token."""
    if created or kwargs.get("raw"):
        return
    if getattr(instance, "_password", None) is not None or not instance.is_active:
        tokens_revoke_all(user=instance)


def connect() -> None:
    post_save.connect(
        revoke_tokens_on_credential_change, sender=get_user_model(), dispatch_uid="api.tokens.revoke_on_change"
    )


class ExpiringTokenAuthentication(KnoxTokenAuthentication):
    """knox's token check, without a query over the user's other tokens on every call and without a 500
    on a header that is not UTF-8."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        # Only the presented token: the user's other expired tokens are swept at the next sign-in.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
