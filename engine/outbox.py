"""The outbox: notification intents written with the event, handed to workers after commit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone
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


@lru_cache(maxsize=1)
def _row_defaults() -> dict[str, Any]:
    """Every column's default but the two computed per row (``created_at``, ``payload``)."""
    return {
        field.attname: None if field.primary_key else field.get_default()
        for field in OutboxMessage._meta.concrete_fields
        if field.attname not in ("created_at", "payload")
    }


def new_row(**values: Any) -> OutboxMessage:
    """An unsaved outbox row, as ``OutboxMessage(**values)`` makes it, at a fraction of the cost.

    Routers build one per recipient and channel inside the transition; the model's ``__init__``
    (per-field defaults, signals) was most of the router's own time. Values are by column
    (``recipient_id``, not ``recipient``).
    """
    defaults = _row_defaults()
    if not values.keys() <= _row_columns():
        unknown = values.keys() - _row_columns()
        raise TypeError(f"OutboxMessage has no column {sorted(unknown)!r}")
    row = OutboxMessage.__new__(OutboxMessage)
    fields = row.__dict__
    fields["_state"] = ModelState()
    fields.update(defaults)
    if "created_at" not in values:
        fields["created_at"] = timezone.now()
    if "payload" not in values:
        fields["payload"] = {}
    fields.update(values)
    return row


@lru_cache(maxsize=1)
def _row_columns() -> frozenset[str]:
    return frozenset(_row_defaults().keys() | {"created_at", "payload"})


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


# Written by ``insert_rows``, in this order; ``id`` comes back from the database.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("created_at", "timestamptz"),
    ("event", "text"),
    ("case_type", "text"),
    ("case_id", "bigint"),
    ("case_reference", "text"),
    ("audit_seq", "integer"),
    ("recipient_id", "bigint"),
    ("channel", "text"),
    ("payload", "jsonb"),
    ("dedupe_key", "text"),
    ("status", "text"),
    ("attempts", "integer"),
    ("last_error", "text"),
    ("deliver_after", "timestamptz"),
    ("sent_at", "timestamptz"),
)
_MOMENTS = frozenset(name for name, db_type in _COLUMNS if db_type == "timestamptz")


@lru_cache(maxsize=1)
def _insert_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(OutboxMessage._meta.db_table)
    columns = ", ".join(quote(name) for name, _type in _COLUMNS)
    record = ", ".join(f"{quote(name)} {db_type}" for name, db_type in _COLUMNS)
    # WITH ORDINALITY + ORDER BY: ids are handed out (and returned) in the order of the rows.
    return (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names from this module, values are one parameter
        f"SELECT {columns} FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS ({record})) "
        f"WITH ORDINALITY AS u({columns}, n) ORDER BY n "
        f"RETURNING {quote('id')}"
    )


def insert_rows(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Insert ``rows`` in ONE statement, setting their ``pk``; a duplicate ``dedupe_key`` raises.

    On PostgreSQL the rows travel as ONE JSON parameter (``INSERT … SELECT … FROM
    jsonb_to_recordset(…)``): no per-row model save logic, no per-value quoting by the driver (the
    project's client-side binding quotes every element of an array one by one), and a statement
    whose text and plan do not grow with the number of rows. Elsewhere, Django's ``bulk_create``.
    """
    if not rows:
        return rows
    if connection.vendor != "postgresql":
        return OutboxMessage.objects.bulk_create(rows, ignore_conflicts=False)
    sql, params = insert_statement(rows)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    adopt_ids(rows, ids)
    return rows


def insert_statement(rows: list[OutboxMessage]) -> tuple[str, list[Any]]:
    """The PostgreSQL ``INSERT … RETURNING id`` of ``rows`` (ids in the rows' order) and its one parameter."""
    now = timezone.now()
    records = []
    # Rows of one batch mostly share their moments (the router stamps them all alike).
    iso: dict[Any, str] = {}
    for row in rows:
        values = row.__dict__
        if values.get("created_at") is None:
            row.created_at = now
        record = {name: values[name] for name, _type in _COLUMNS}
        for name in _MOMENTS:
            moment = record[name]
            if moment is not None:
                record[name] = iso.get(moment) or iso.setdefault(moment, moment.isoformat())
        if record["payload"] is None:
            record["payload"] = {}
        records.append(record)
    # As strict as the JSONField (no encoder): routers hand over ``jsonable`` payloads.
    document = json.dumps(records, ensure_ascii=False)
    return _insert_sql(), [document]


def adopt_ids(rows: list[OutboxMessage], ids: list[int]) -> None:
    """Give ``rows`` the ids the database handed out for them (in their order)."""
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


def route(events: list[OutboxEvent]) -> list[OutboxMessage]:
    """The outbox rows ``events`` route to (not written yet)."""
    return list(router()(events)) if events else []


def dispatch_after_commit(rows: list[OutboxMessage]) -> None:
    """Hand the written ``rows`` to the dispatcher once the transaction commits.

    The dispatcher is called with the rows' ids. One that also offers ``from_rows`` (a callable
    taking the rows themselves) is handed the rows as they were written instead: it need not read
    them back to know their channel and status. What it decides from them is a hint only; the
    worker re-reads each row's status before it delivers.
    """
    send = dispatcher()
    written = [row for row in rows if row.pk is not None]
    if send is None or not written:
        return
    from_rows: Callable[[list[OutboxMessage]], None] | None = getattr(send, "from_rows", None)
    if from_rows is not None:
        transaction.on_commit(lambda: from_rows(written))
        return
    ids = [row.pk for row in written]
    transaction.on_commit(lambda: send(ids))


def emit(events: list[OutboxEvent]) -> list[OutboxMessage]:
    """Write the outbox rows for ``events`` in the current transaction (one INSERT); dispatch after commit."""
    rows = route(events)
    if not rows:
        return []
    created = insert_rows(rows)
    dispatch_after_commit(created)
    return created
