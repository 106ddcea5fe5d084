"""What a unit leaves behind, written in as few round trips as the database allows.

A unit ends with three writes: the case row (its new state and version, or only its chain head
for an action), the audit event(s) it sealed, and the outbox rows its notices route to. On
PostgreSQL they go as ONE statement of data-modifying CTEs::

    WITH c AS (UPDATE case SET ... WHERE id = %s AND version = %s RETURNING 1),   -- version-checked
         e AS (INSERT INTO engine_auditevent ... RETURNING id),
         o AS (INSERT INTO engine_outboxmessage ... RETURNING id)
    SELECT (SELECT count(*) FROM c), ARRAY(SELECT id FROM e ORDER BY id), ARRAY(SELECT id FROM o ORDER BY id)

The case row is locked by the unit since its start, so the version check is a guard, not the lock.
Two things keep the case row as a statement of its own, written first (as ``Model.save``):
``pre_save``/``post_save`` receivers on the case model (a search index, ...), which must run as they
always have; and a notification router other than the engine's recipient-less default, which may
read the case from the database and must see it as the unit leaves it. The events and the outbox
rows are then still one statement. Elsewhere (SQLite), the plain ORM writes, one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Q, signals
from django.db.models.sql import InsertQuery, UpdateQuery

from . import outbox
from .errors import ConcurrentChange
from .models import AuditEvent, OutboxMessage

#: The case's columns an action (no state change) writes: its chain head only.
HEAD_FIELDS = ("audit_seq", "audit_hash")


def _has_save_receivers(model: Any) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


def _update_sql(case: Any, names: Sequence[str] | None, version: int | None) -> tuple[str, list[Any]]:
    """``UPDATE`` of ``case``'s row (every column, or ``names``) as ``Model.save`` would write it."""
    model = type(case)
    meta = model._meta
    if names is None:
        fields = [field for field in meta.local_concrete_fields if not field.primary_key]
        values = [(field, None, field.pre_save(case, False)) for field in fields]
    else:
        values = [(meta.get_field(name), None, getattr(case, meta.get_field(name).attname)) for name in names]
    query = UpdateQuery(model)
    query.add_update_fields(values)  # type: ignore[arg-type]
    query.add_q(Q(pk=case.pk) & Q(version=version) if version is not None else Q(pk=case.pk))
    sql, params = query.get_compiler(connection.alias).as_sql()
    return f"{sql} RETURNING 1", list(params)


def _insert_sql(events: list[AuditEvent]) -> tuple[str, list[Any]]:
    """One multi-row ``INSERT`` of ``events`` as ``bulk_create`` would write them, returning their ids."""
    meta = AuditEvent._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    query = InsertQuery(AuditEvent)
    query.insert_values(fields, list[Any](events))
    compiler = query.get_compiler(connection.alias)
    [(sql, params)] = compiler.as_sql()
    return f"{sql} RETURNING {connection.ops.quote_name(str(meta.pk.column))}", list(params)


def _adopt(objects: Sequence[Any], ids: Sequence[Any]) -> None:
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def save_unit(
    case: Any,
    *,
    moved: bool,
    version: int | None,
    events: list[AuditEvent],
    notices: list[outbox.OutboxEvent],
) -> list[OutboxMessage]:
    """Write ``case`` (every column when ``moved``, else its chain head), ``events`` and the outbox rows of ``notices``.

    ``version`` is the case's version when the unit locked it (checked by the UPDATE; a mismatch is a
    ``ConcurrentChange``). Returns the outbox rows written; their dispatch waits for the commit.
    """
    model = type(case)
    combined = connection.vendor == "postgresql" and not model._meta.parents
    case_first = moved and (_has_save_receivers(model) or outbox.router() is not outbox.default_router)
    if not combined or case_first:
        if moved:
            case.save(force_update=True)
        else:
            model._base_manager.filter(pk=case.pk).update(**{name: getattr(case, name) for name in HEAD_FIELDS})
    if not combined:
        for event in events:
            event.save(force_insert=True)
        return outbox.emit(notices)

    rows = outbox.route(notices)
    parts: list[tuple[str, str, list[Any]]] = []
    if not case_first:
        sql, params = _update_sql(case, None if moved else HEAD_FIELDS, version)
        parts.append(("c", sql, params))
    if events:
        sql, params = _insert_sql(events)
        parts.append(("e", sql, params))
    if rows:
        sql, params = outbox.insert_statement(rows)
        parts.append(("o", sql, params))
    if not parts:
        return rows
    names = {name for name, _sql, _params in parts}
    answer = [
        "(SELECT count(*) FROM c)" if "c" in names else "NULL",
        "ARRAY(SELECT id FROM e ORDER BY id)" if "e" in names else "NULL",
        "ARRAY(SELECT id FROM o ORDER BY id)" if "o" in names else "NULL",
    ]
    statement = "WITH " + ", ".join(f"{name} AS ({sql})" for name, sql, _params in parts)
    statement += " SELECT " + ", ".join(answer)
    with connection.cursor() as cursor:
        cursor.execute(statement, [param for _name, _sql, params in parts for param in params])
        updated, event_ids, row_ids = cursor.fetchone()
    if "c" in names and updated != 1:
        # Someone else's change reached the row first (the whole unit rolls back with this error).
        raise ConcurrentChange()
    if not case_first:
        case._state.adding = False
        case._state.db = connection.alias
    _adopt(events, event_ids or [])
    _adopt(rows, row_ids or [])
    outbox.dispatch_after_commit(rows)
    return rows
