"""What the API itself must remember: the first answer given for a client's idempotency key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotentResponse(models.Model):
    """The HTTP answer of a transition POST made with an ``Idempotency-Key``, replayed on a repeat.

    Written in the transition's transaction, so it exists exactly when the transition happened.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=200)
    case_type = models.CharField(max_length=100)
    case_id = models.BigIntegerField()
    transition = models.CharField(max_length=60)
    status_code = models.PositiveSmallIntegerField(default=200)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("idempotent response")
        verbose_name_plural = _("idempotent responses")
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="api_idempotent_actor_key")]

    def __str__(self) -> str:
        return f"{self.key} → {self.transition} {self.status_code}"
