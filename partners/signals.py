"""What the partners app announces, so a workflow can audit it on its own cases."""

from __future__ import annotations

from django.dispatch import Signal

#: a coordinator accepted a charter version for their organization: ``acceptance``, ``actor``, ``context``
charter_accepted = Signal()
