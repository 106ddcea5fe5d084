"""Errors of the partnership services beyond the engine's own (each with a stable code)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from engine.errors import ConcurrentChange


class AlreadyVoted(ConcurrentChange):
    code = "already_voted"
    default_message = _("You have already voted in this round.")


class AlreadyDeclared(ConcurrentChange):
    code = "already_declared"
    default_message = _("You have already declared a conflict of interest on this request.")
