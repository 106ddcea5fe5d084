"""The outbox: notification intents written with the event, handed to workers after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .audit import jsonable
from .models import OutboxMessage


@dataclass
class OutboxEvent:
    """Something happened to a case that people may need to hear about."""

    event: str
    case_type: str = ""
    case_id: int | None = None
    case_reference: str = ""
    case: Any = None
    actor: Any = None
    audit_seq: int | None = None
    key: str = ""
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def occurrence_key(self) -> str:
        return self.key or f"{self.case_type}:{self.case_id}:{self.audit_seq}:{self.event}"


def default_router(events: Iterable[OutboxEvent]) -> list[OutboxMessage]:
    """One recipient-less row per event, for deployments with no notification router."""
    return [
        OutboxMessage(
            event=e.event,
            case_type=e.case_type,
            case_id=e.case_id,
            case_reference=e.case_reference,
            audit_seq=e.audit_seq,
            channel="event",
            payload=jsonable(e.payload),
            dedupe_key=e.occurrence_key,
        )
        for e in events
    ]


@lru_cache(maxsize=4)
def _load(path: str | None) -> Callable[..., Any] | None:
    return import_string(path) if path else None


def router() -> Callable[[Iterable[OutboxEvent]], list[OutboxMessage]]:
    return _load(settings.ENGINE.get("OUTBOX_ROUTER")) or default_router


def dispatcher() -> Callable[[list[int]], None] | None:
    return _load(settings.ENGINE.get("OUTBOX_DISPATCHER"))


def emit(events: list[OutboxEvent]) -> list[OutboxMessage]:
    """Write the outbox rows for ``events`` in the current transaction; dispatch after commit."""
    if not events:
        return []
    rows = router()(events)
    if not rows:
        return []
    created = OutboxMessage.objects.bulk_create(rows, ignore_conflicts=False)
    send = dispatcher()
    ids = [row.pk for row in created if row.pk is not None]
    if send is not None and ids:
        transaction.on_commit(lambda: send(ids))
    return created
