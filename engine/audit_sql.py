"""Audit verification inside PostgreSQL: every hash recomputed with ``sha256()``, one statement per case type.

The database rebuilds each event's canonical JSON (the same bytes as ``audit.canonical``: see
migration 0003's ``engine_canonical_json``), hashes it with the previous hash, checks every link,
the sequence numbers, and each case row's head, state and reference against its history. Python
receives one row per case type: the counts and the ids of the cases that did not verify, plus
those holding a value PostgreSQL cannot print as Python does (non-integer numbers). Those cases —
normally none — are then verified by the Python verifier, case by case under the case's row lock,
so a failure is named exactly as ``audit.verify_all(method="python")`` names it.

The digest of audited fields (``AuditEvent.digest``, events since migration 0009) is part of the
canonical JSON when present; holding the live rows to the last digest is done after this pass, in
Python, by the verifier (``audit._Verifier.snapshots``), in batches of cases.

Memory in Python is constant (one row per case type plus the failures); PostgreSQL streams the
events in index order (``case_type, case_id, seq``).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from .models import GENESIS_HASH

_CANONICAL = """
'{"action":' || to_json(e.action)::text
|| ',"actor":' || coalesce(e.actor_id::text, 'null')
|| ',"actor_label":' || to_json(e.actor_label)::text
|| ',"actor_role":' || to_json(e.actor_role)::text
|| ',"case_id":' || e.case_id::text
|| ',"case_reference":' || to_json(e.case_reference)::text
|| ',"case_type":' || to_json(e.case_type)::text
|| ',"data":' || CASE
    WHEN e.data = '{}'::jsonb THEN '{}'
    WHEN jsonb_typeof(e.data) <> 'object' THEN engine_canonical_json(e.data)
    -- the common case inline (a function call per event costs more than all the rest):
    -- top-level keys in code point order, nested objects and arrays through the function
    ELSE (SELECT '{' || string_agg(to_json(d.key)::text || ':' || CASE jsonb_typeof(d.value)
                                       WHEN 'string' THEN to_json(d.value #>> '{}')::text
                                       WHEN 'object' THEN engine_canonical_json(d.value)
                                       WHEN 'array' THEN engine_canonical_json(d.value)
                                       ELSE d.value::text END,
                                   ',' ORDER BY d.key COLLATE "C") || '}'
            FROM jsonb_each(e.data) AS d)
    END
|| CASE WHEN coalesce(e.digest, '') = '' THEN '' ELSE ',"digest":' || to_json(e.digest)::text END
|| ',"from_state":' || to_json(e.from_state)::text
|| ',"ip_address":' || coalesce(to_json(host(e.ip_address))::text, 'null')
|| ',"occurred_at":"' || to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
|| ',"seq":' || e.seq::text
|| ',"to_state":' || to_json(e.to_state)::text
|| ',"user_agent":' || to_json(e.user_agent)::text
|| '}'
"""

# Per case: does every event hash, link and follow on; its last hash, seq, target state, reference.
# Rows that may print differently in Python (a number with a fraction or exponent in ``data``)
# are not judged here: ``python`` sends their case to the Python verifier.
_CHAINS = f"""
SELECT e.case_id,
       count(*) AS events,
       bool_and(
           e.seq = e.position
           AND e.prev_hash = coalesce(e.previous, '{GENESIS_HASH}')
           AND e.hash = encode(sha256(convert_to(e.prev_hash || {_CANONICAL}, 'UTF8')), 'hex')
       ) AS links_hold,
       bool_or(e.data::text ~ '[0-9][.eE]') AS python,
       max(e.seq) AS last_seq,
       max(e.hash) FILTER (WHERE e.last) AS last_hash,
       (array_agg(e.to_state ORDER BY e.seq DESC) FILTER (WHERE e.to_state <> ''))[1] AS last_target,
       max(e.case_reference) FILTER (WHERE e.position = 1) AS reference
  FROM (
      SELECT a.*,
             lag(a.hash) OVER chain AS previous,
             row_number() OVER chain AS position,
             lead(a.seq) OVER chain IS NULL AS last
        FROM engine_auditevent a
       WHERE a.case_type = %s AND a.case_id BETWEEN %s AND %s
      WINDOW chain AS (PARTITION BY a.case_id ORDER BY a.seq)
  ) e
 GROUP BY e.case_id
"""  # noqa: S608 - constants of this module; the case type is a parameter


def _statement(table: str | None) -> str:
    if table is None:
        # No installed workflow handles this case type: the Python verifier names every chain.
        return f"""
            SELECT count(*), coalesce(sum(c.events), 0), coalesce(array_agg(c.case_id), '{{}}')
              FROM ({_CHAINS}) c
        """  # noqa: S608 - constants of this module
    quoted = connection.ops.quote_name(table)
    return f"""
        WITH chains AS ({_CHAINS}),
        judged AS (
            SELECT coalesce(c.case_id, k.id) AS case_id,
                   coalesce(c.events, 0) AS events,
                   c.case_id IS NOT NULL AND k.id IS NOT NULL
                   AND c.links_hold AND NOT c.python
                   AND k.audit_seq = c.last_seq
                   AND k.audit_hash = c.last_hash
                   AND (c.last_target IS NULL OR k.state = c.last_target)
                   AND k.reference = c.reference AS holds
              FROM chains c
              FULL JOIN (SELECT * FROM {quoted} WHERE id BETWEEN %s AND %s) k ON k.id = c.case_id
        )
        SELECT count(*), coalesce(sum(events), 0),
               coalesce(array_agg(case_id ORDER BY case_id) FILTER (WHERE NOT holds), '{{}}')
          FROM judged
    """  # noqa: S608 - a table name from the model, quoted


_LOWEST, _HIGHEST = -(2**63), 2**63 - 1
# Below this many events a case type is verified in one statement; above, in parallel ranges.
PARALLEL_ABOVE = 100_000


def _verify_range(case_type: str, table: str | None, low: int, high: int) -> tuple[int, int, list[int]]:
    params: list[Any] = [case_type, low, high]
    if table is not None:
        params += [low, high]
    with connection.cursor() as cursor:
        cursor.execute(_statement(table), params)
        cases, events, suspects = cursor.fetchone()
    return int(cases), int(events), list(suspects)


def _ranges(case_type: str, table: str, parts: int) -> list[tuple[int, int]]:
    """``parts`` case-id ranges holding about as many events each (from the audit index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY case_id) FROM engine_auditevent "
            "WHERE case_type = %s",
            [[index / parts for index in range(1, parts)], case_type],
        )
        cuts = sorted(set(cursor.fetchone()[0] or []))
    bounds = [_LOWEST, *cuts, _HIGHEST]
    return [(bounds[i] if i == 0 else bounds[i] + 1, bounds[i + 1]) for i in range(len(bounds) - 1)]


def _in_own_connection(function: Any, *args: Any) -> Any:
    from django.db import connections

    try:
        return function(*args)
    finally:
        connections.close_all()


def verify_case_type(case_type: str, model: Any, workers: int = 1) -> tuple[int, int, list[int]]:
    """(cases checked, events checked, ids of the cases to judge in Python) for one case type.

    With ``workers`` > 1, outside a transaction, and a large history, the case-id range is split
    into as many parts verified at once, each on its own connection (PostgreSQL runs each
    statement on one core). Their snapshots may differ by moments: a case moved in between is
    flagged, and its recheck under the row lock settles it, as for the streaming verifier.
    """
    table = model._meta.db_table if model is not None else None
    if workers <= 1 or table is None or connection.in_atomic_block:
        return _verify_range(case_type, table, _LOWEST, _HIGHEST)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'engine_auditevent'")
        estimate = cursor.fetchone()[0] or 0
    if estimate < PARALLEL_ABOVE:
        return _verify_range(case_type, table, _LOWEST, _HIGHEST)
    from concurrent.futures import ThreadPoolExecutor

    ranges = _ranges(case_type, table, workers)
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        parts = list(pool.map(lambda bounds: _in_own_connection(_verify_range, case_type, table, *bounds), ranges))
    suspects = sorted(case_id for _cases, _events, ids in parts for case_id in ids)
    return sum(p[0] for p in parts), sum(p[1] for p in parts), suspects
