"""Audit verification inside PostgreSQL: every hash recomputed with ``sha256()``, one statement per case type.

The database rebuilds each event's canonical JSON (the same bytes as ``audit.canonical``: see
migration 0003's ``engine_canonical_json``), hashes it with the previous hash, checks every link,
the sequence numbers, and each case row's head, state and reference against its history. Python
receives one row per case type: the counts and the ids of the cases that did not verify, plus
those holding a value PostgreSQL cannot print as Python does (non-integer numbers). Those cases —
normally none — are then verified by the Python verifier, case by case under the case's row lock,
so a failure is named exactly as ``audit.verify_all(method="python")`` names it.

The digest of audited fields (``AuditEvent.digest``, events since migration 0009) is part of the
canonical JSON when present. The live rows are held to the last event's digest in the same pass
(``digest_sql``: the snapshot's canonical JSON written by the database, for the field types it
writes as Python does); a case whose rows do not match goes to Python, which compares again under
the row lock and names the field. A flow auditing another type has its rows compared after this
pass, in Python (``audit._Verifier.snapshots``). At 1,000,000 events / 100,000 tickets the
comparison in Python took 2.1–2.3 s of a 6.4 s verification; in the pass, about 0.2 s of backend time.

Memory in Python is constant (one row per case type plus the failures); PostgreSQL streams the
events in index order (``case_type, case_id, seq``): no sort, no subquery per event on the common
path (see ``_EVENTS``), JIT off for the statement (it compiled for seconds and won nothing).
Where the time went (EXPLAIN ANALYZE, 200k events, one connection, busy machine): before, 27.8 s
— JIT 3.5 s, the ``jsonb_each`` subquery sorting each event's keys 7.8 s, ``to_json`` per string
~4 s; now 7.5 s — index scan 0.7 s, window + fast data text 2.5 s, writing the rest of the
canonical text, ``sha256`` and the parse-back check 4.2 s. Then, in backend CPU time per 100k
events (parallel query off, 10 per case): 0.9–1.0 s → 0.7–0.8 s, by judging each event where it is
read and grouping only a chain's last event (``_CHAINS``), writing neighbouring literals as one
(``_joined``), and testing plain quoting with two substring searches instead of a regular
expression; the parallel ranges are cut from the case table (``audit.case_ranges``, shared with the
Python verifier), not by a percentile over the audit table (0.7 s at 1M events).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from django.db import connection

from .models import GENESIS_HASH

# The canonical JSON of an event's data, exactly (top-level keys in code point order; nested
# objects and arrays through the plpgsql function). A subquery per event: the slow path.
_DATA = """CASE
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
    END"""

_CANONICAL = f"""
'{{"action":' || to_json(e.action)::text
|| ',"actor":' || coalesce(e.actor_id::text, 'null')
|| ',"actor_label":' || to_json(e.actor_label)::text
|| ',"actor_role":' || to_json(e.actor_role)::text
|| ',"case_id":' || e.case_id::text
|| ',"case_reference":' || to_json(e.case_reference)::text
|| ',"case_type":' || to_json(e.case_type)::text
|| ',"data":' || {_DATA}
|| CASE WHEN coalesce(e.digest, '') = '' THEN '' ELSE ',"digest":' || to_json(e.digest)::text END
|| ',"from_state":' || to_json(e.from_state)::text
|| ',"ip_address":' || coalesce(to_json(host(e.ip_address))::text, 'null')
|| ',"occurred_at":"' || to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
|| ',"seq":' || e.seq::text
|| ',"to_state":' || to_json(e.to_state)::text
|| ',"user_agent":' || to_json(e.user_agent)::text
|| '}}'
"""

# The columns that are strings in the canonical JSON, in its key order (the digest is optional).
_HEAD_STRINGS = ("action", "actor_label", "actor_role", "case_reference", "case_type")
_TAIL_STRINGS = ("from_state", "to_state", "user_agent")


def _head_tail(quote: Any) -> tuple[str, str]:
    """The canonical JSON before and after the data's value, each string written by ``quote``."""
    head = (
        f"""'{{"action":' || {quote("e.action")} || ',"actor":' || coalesce(e.actor_id::text, 'null')"""
        f""" || ',"actor_label":' || {quote("e.actor_label")} || ',"actor_role":' || {quote("e.actor_role")}"""
        f""" || ',"case_id":' || e.case_id::text || ',"case_reference":' || {quote("e.case_reference")}"""
        f""" || ',"case_type":' || {quote("e.case_type")} || ',"data":'"""
    )
    tail = (
        f"""CASE WHEN coalesce(e.digest, '') = '' THEN '' ELSE ',"digest":' || {quote("e.digest")} END"""
        f""" || ',"from_state":' || {quote("e.from_state")}"""
        """ || ',"ip_address":' || coalesce('"' || host(e.ip_address) || '"', 'null')"""
        """ || ',"occurred_at":"' || to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
        f""" || '+00:00","seq":' || e.seq::text || ',"to_state":' || {quote("e.to_state")}"""
        f""" || ',"user_agent":' || {quote("e.user_agent")} || '}}'"""
    )
    return _joined(head), _joined(tail)


def _joined(sql: str) -> str:
    """``sql`` with neighbouring literals written as one (``'a' || 'b'`` → ``'ab'``): a third fewer
    concatenations per event, each of which copies the text built so far."""
    while True:
        merged = re.sub(r"'([^']*)' \|\| '([^']*)'", r"'\1\2'", sql)
        if merged == sql:
            return sql
        sql = merged


_PLAIN_HEAD, _PLAIN_TAIL = _head_tail(lambda column: f"""'"' || {column} || '"'""")
_ESCAPED_HEAD, _ESCAPED_TAIL = _head_tail(lambda column: f"to_json({column})::text")
_STRINGS = "(" + " || ".join(f"e.{name}" for name in (*_HEAD_STRINGS, *_TAIL_STRINGS)) + " || coalesce(e.digest, ''))"
# The fast form's strings go between plain quotes when none holds a quote or a backslash (two
# substring searches, no regular expression: nearly every event). A control character needs no
# test there: the canonical bytes never hold one raw (JSON escapes it), so plain quotes around one
# cannot hash to a recorded hash, and only text that is its own JSON can. The exact form, for the
# few events that take it, quotes plainly only when JSON writes the strings as they are: no
# quote, backslash or control character (conservative: any [:cntrl:] character escapes).
_PLAIN = f"""(strpos({_STRINGS}, '"') = 0 AND strpos({_STRINGS}, '\\') = 0)"""
_PLAIN_EXACT = _STRINGS + r""" !~ '[[:cntrl:]"\\]'"""

# One pass over the events of a range of cases, in index order (case_type, case_id, seq), with
# no sort and no subquery per event on the common path:
#
# * the keys before and after "data" are written around it; strings with no quote or backslash
#   (nearly all) between plain quotes, others through ``to_json``, which escapes as Python does
#   (see ``_PLAIN``);
# * "data" first in a fast form: jsonb's own text with its ", " and ": " separators closed up.
#   It is used only if it hashes to the stored hash AND parses back to the stored data, so it
#   is a serialization of what is stored, and hashing the canonical bytes of other data is
#   impossible. (It may differ from the canonical form only by the order of keys jsonb keeps —
#   by length first — which no honest writer hashes: a forger able to recompute hashes could as
#   well hash the canonical form, which is why a signed checkpoint is verified in Python.)
# * otherwise the exact canonical form (``_DATA``) decides: keys sorted, nested values through
#   ``engine_canonical_json``; only events whose data jsonb orders differently pay for it.
_EVENTS = f"""
SELECT e.case_id, e.seq, e.hash, e.prev_hash, e.data, e.digest, e.case_reference, e.case_type,
       e.action, e.actor_id, e.actor_label, e.actor_role, e.from_state, e.to_state, e.ip_address,
       e.occurred_at, e.user_agent,
       CASE WHEN e.data = '{{}}'::jsonb THEN '{{}}'
            ELSE replace(replace(e.data::text, ', "', ',"'), '": ', '":') END AS fast,
       {_PLAIN} AS plain,
       row_number() OVER chain AS position,
       lag(e.hash) OVER chain AS previous,
       lead(e.seq) OVER chain IS NULL AS last,
       first_value(e.case_reference) OVER chain AS first_reference
  FROM engine_auditevent e
 WHERE e.case_type = %s AND e.case_id BETWEEN %s AND %s
WINDOW chain AS (PARTITION BY e.case_id ORDER BY e.seq)
"""  # noqa: S608 - constants of this module; the case type and bounds are parameters


def _hashes_to(data: str, plain: str = "e.plain") -> str:
    head = f"CASE WHEN {plain} THEN {_PLAIN_HEAD} ELSE {_ESCAPED_HEAD} END"
    tail = f"CASE WHEN {plain} THEN {_PLAIN_TAIL} ELSE {_ESCAPED_TAIL} END"
    return f"e.hash = encode(sha256(convert_to(e.prev_hash || {head} || {data} || {tail}, 'UTF8')), 'hex')"


# Per case: does every event hash, link and follow on; its last hash, seq, target state,
# reference. Rows that may print differently in Python (a number with a fraction or exponent
# in ``data``) are not judged here: ``python`` sends their case to the Python verifier.
# Whether one event hashes and links: its seq is its place in the chain, its previous hash the
# hash before it, and its hash that of its canonical bytes (the fast form, else the exact one).
_EVENT_HOLDS = f"""(e.seq = e.position
    AND e.prev_hash = coalesce(e.previous, '{GENESIS_HASH}')
    AND CASE WHEN {_hashes_to("e.fast")} AND (e.fast = '{{}}' OR e.fast::jsonb = e.data) THEN true
             ELSE {_hashes_to(_DATA, _PLAIN_EXACT)}
        END)"""

# Per case: does every event hash, link and follow on; its number of events, last hash, seq and
# target state, its first reference. Each event is judged where it is read; only a chain's last
# event, and any event that does not hold, reach the grouping (about one row per case: grouping
# every event, with its eight aggregates, cost more than the hashing). Rows that may print
# differently in Python (a number with a fraction in ``data``: jsonb prints no exponent) are not
# judged here: ``python`` sends their case to the Python verifier. A number stands where a value
# starts (after ``":``, ``[`` or ``, `` in the fast form, or at the start): a digit and a point
# inside a string (a time "09:30:09.790Z", "1. Opening") is no number, and the case stays here.
_CHAINS = f"""
SELECT c.case_id,
       sum(c.position) FILTER (WHERE c.last) AS events,
       bool_and(c.holds) AS links_hold,
       bool_or(c.python) AS python,
       max(c.seq) FILTER (WHERE c.last) AS last_seq,
       max(c.hash) FILTER (WHERE c.last) AS last_hash,
       max(c.to_state) FILTER (WHERE c.last) AS last_to_state,
       max(c.first_reference) FILTER (WHERE c.last) AS reference,
       max(c.digest) FILTER (WHERE c.last) AS last_digest
  FROM (SELECT e.case_id, e.position, e.last, e.seq, e.hash, e.to_state, e.first_reference, e.digest,
               {_EVENT_HOLDS} AS holds,
               strpos(e.fast, '.') > 0 AND e.fast ~ '(^|":|[[]|, )-?[0-9]+[.]' AS python
          FROM ({_EVENTS}) e) c
 WHERE c.last OR NOT c.holds OR c.python
 GROUP BY c.case_id
"""  # noqa: S608 - constants of this module

# The state the history leads to: the last event's target, or (after actions, which keep the
# state) that of the last event that had one, looked up by the index for those cases only
# (NULL when no event ever had one: nothing to hold the state to).
_LAST_TARGET = """
CASE WHEN c.last_to_state <> '' THEN c.last_to_state
     ELSE (SELECT t.to_state FROM engine_auditevent t
            WHERE t.case_type = %s AND t.case_id = c.case_id AND t.to_state <> ''
            ORDER BY t.seq DESC LIMIT 1)
END
"""


# The digest of a case's audited fields and rows (``engine.snapshot``), computed by PostgreSQL
# over the live rows: the same canonical JSON as ``snapshot.digest(snapshot.live(...))``, for the
# field types whose text the database writes exactly as Python does. A flow auditing any other
# type (a decimal, a float, a time...) has its snapshots compared in Python. A digest that does
# not match sends the case to Python, which compares again under the case's row lock and names
# the field, so an expression here can only ever cost time, never a wrong verdict of "intact".
_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})
_INTEGER_TYPES = frozenset(
    {
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
    }
)


def _short(text: str) -> str:
    """``snapshot._short``: a string longer than ``LONG_TEXT`` characters as {"sha256": ...}."""
    from .snapshot import LONG_TEXT

    return (
        f"""CASE WHEN char_length({text}) > {LONG_TEXT}"""
        f""" THEN '{{"sha256":"' || encode(sha256(convert_to({text}, 'UTF8')), 'hex') || '"}}'"""
        f""" ELSE to_json({text})::text END"""
    )


def _case_value(field: Any, column: str) -> str | None:
    """``snapshot._case_value`` of one non-null column, as SQL text; None for a type not written here."""
    kind = field.get_internal_type()
    if field.is_relation:
        return f"{column}::text" if field.target_field.get_internal_type() in _INTEGER_TYPES else None
    if kind in _TEXT_TYPES:
        return _short(column)
    if kind in _INTEGER_TYPES:
        return f"{column}::text"
    if kind == "BooleanField":
        return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
    if kind == "DateField":
        return f"""'"' || to_char({column}, 'YYYY-MM-DD') || '"'"""
    if kind == "DateTimeField":
        return f"""'"' || to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'"""
    if kind == "JSONField":
        return f"engine_canonical_json({column})"
    return None


def digest_sql(flow_cls: Any, alias: str = "k") -> str | None:
    """The hex sha256 of a case's live snapshot as an SQL expression over its row ``alias``.

    None when the flow audits nothing, or audits a field of a type not written here (or names a
    group that is no identifier: its JSON key would need escaping).
    """
    from . import snapshot

    model = flow_cls.model
    quote = connection.ops.quote_name
    fields, specs = snapshot.audited_fields(model), snapshot.audited_rows(flow_cls)
    names = [*fields, *specs, *(field for spec in specs.values() for field in spec.fields)]
    if not names or not all(_IDENTIFIER.fullmatch(name) for name in names):
        return None
    added = frozenset(getattr(model, "audited_fields_added", ()))
    members = []
    for name in sorted(fields):
        field = model._meta.get_field(name)
        column = f"{alias}.{quote(field.column)}"
        value = _case_value(field, column)
        if value is None:
            return None
        key = _json_key(name)
        # A field audited only since some events were written is left out while empty (snapshot._case_part).
        absent = "NULL" if name in added else f"'{key}null'"
        members.append(f"CASE WHEN {column} IS NULL THEN {absent} ELSE '{key}' || {value} END")
    text = "'{\"case\":{' || " + (f"concat_ws(',', {', '.join(members)})" if members else "''") + " || '}'"
    if specs:
        groups = [
            _group_sql(name, spec, f"{alias}.{quote(model._meta.pk.column)}") for name, spec in sorted(specs.items())
        ]
        text += " || ',\"rows\":{' || " + " || ',' || ".join(groups) + " || '}'"
    return f"encode(sha256(convert_to({text} || '}}', 'UTF8')), 'hex')"


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_key(name: str) -> str:
    """``"name":`` for a field or group name (an identifier: nothing to escape)."""
    return f'"{name}":'


def _group_sql(name: str, spec: Any, case_pk: str) -> str:
    """One group of audited rows (``snapshot._rows_part``): {"row id": {field: text}} by row id as text."""
    model = spec.get_model()
    quote = connection.ops.quote_name
    pk = f"r.{quote(model._meta.pk.column)}"
    values = []
    for field_name in sorted(spec.fields):
        column = f"r.{quote(model._meta.get_field(field_name).column)}::text"
        values.append(f"'{_json_key(field_name)}' || CASE WHEN {column} IS NULL THEN 'null' ELSE {_short(column)} END")
    row = f"""'"' || {pk}::text || '":{{' || {" || ',' || ".join(values)} || '}}'"""
    case_column = quote(model._meta.get_field(spec.case_field).column)
    table = quote(model._meta.db_table)
    order = f'{pk}::text COLLATE "C"'
    rows = f"(SELECT string_agg({row}, ',' ORDER BY {order}) FROM {table} r WHERE r.{case_column} = {case_pk})"  # noqa: S608
    return f"'{_json_key(name)}{{' || coalesce({rows}, '') || '}}'"


def _statement(table: str | None, digest: str | None = None) -> str:
    """One range's verdict: (cases, events, cases whose chain does not hold, cases whose chain holds
    but whose live rows do not match their last digest, digests compared, cases without a digest).

    ``digest``: the SQL of a case's live snapshot digest (``digest_sql``), or None when the
    snapshots are compared in Python (the last three columns are then empty).
    """
    if table is None:
        # No installed workflow handles this case type: the Python verifier names every chain.
        return f"""
            SELECT count(*), coalesce(sum(c.events), 0), coalesce(array_agg(c.case_id), '{{}}'), '{{}}'::bigint[], 0, 0
              FROM ({_CHAINS}) c
        """  # noqa: S608 - constants of this module
    quoted = connection.ops.quote_name(table)
    # The live rows are digested for a case whose last event has a digest (an event written before
    # digests has none: the case is counted, not compared), and judged if its chain holds.
    digest_holds = (
        f"CASE WHEN coalesce(c.last_digest, '') = '' THEN NULL ELSE {digest} = c.last_digest END"
        if digest is not None
        else "NULL::boolean"
    )
    compared = "count(*) FILTER (WHERE holds AND digest_holds IS NOT NULL)" if digest is not None else "0"
    without = "count(*) FILTER (WHERE holds AND digest_holds IS NULL)" if digest is not None else "0"
    return f"""
        WITH chains AS ({_CHAINS}),
        judged AS (
            SELECT coalesce(c.case_id, k.id) AS case_id,
                   coalesce(c.events, 0) AS events,
                   coalesce(c.case_id IS NOT NULL AND k.id IS NOT NULL
                            AND c.links_hold AND NOT c.python
                            AND k.audit_seq = c.last_seq
                            AND k.audit_hash = c.last_hash
                            AND coalesce(k.state = {_LAST_TARGET}, true)
                            AND k.reference = c.reference, false) AS holds,
                   {digest_holds} AS digest_holds
              FROM chains c
              FULL JOIN (SELECT * FROM {quoted} WHERE id BETWEEN %s AND %s) k ON k.id = c.case_id
        )
        SELECT count(*), coalesce(sum(events), 0),
               coalesce(array_agg(case_id ORDER BY case_id) FILTER (WHERE NOT holds), '{{}}'),
               coalesce(array_agg(case_id ORDER BY case_id) FILTER (WHERE holds AND NOT digest_holds), '{{}}'),
               {compared}, {without}
          FROM judged
    """  # noqa: S608 - a table name from the model, quoted


_LOWEST, _HIGHEST = -(2**63), 2**63 - 1
# Below this many events a case type is verified in one statement; above, in parallel ranges.
PARALLEL_ABOVE = 100_000


class Verdict(NamedTuple):
    """What the database found for one case type (or one range of its cases)."""

    cases: int
    events: int
    #: cases whose chain, sequence, head or state did not verify (or hold a value only Python prints)
    suspects: list[int]
    #: cases whose chain verified but whose live rows did not match their last digest
    digest_suspects: list[int]
    #: cases whose live rows were compared with their last digest here (0: compared in Python)
    digests_checked: int
    #: cases whose last event has no digest (written before digests)
    cases_without_digest: int
    #: whether the live rows were held to their digests here (``digest_sql`` writes the flow's snapshot)
    digests_compared: bool = False

    @classmethod
    def merged(cls, parts: list[Verdict]) -> Verdict:
        return cls(
            sum(part.cases for part in parts),
            sum(part.events for part in parts),
            sorted(case_id for part in parts for case_id in part.suspects),
            sorted(case_id for part in parts for case_id in part.digest_suspects),
            sum(part.digests_checked for part in parts),
            sum(part.cases_without_digest for part in parts),
            parts[0].digests_compared,
        )


def _verify_range(case_type: str, table: str | None, digest: str | None, low: int, high: int) -> Verdict:
    params: list[Any] = [case_type, low, high]
    if table is not None:
        params += [case_type, low, high]
    with connection.cursor() as cursor:
        # JIT compiling this statement costs seconds (its cost estimate is large) and wins nothing:
        # the time goes into sha256 and string functions, already compiled code.
        # Inside a transaction for its length only; otherwise for this statement, then as it was.
        local = connection.in_atomic_block
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', %s)", [local])
        jit = cursor.fetchone()[0]
        cursor.execute(_statement(table, digest), params)
        cases, events, suspects, digest_suspects, compared, without = cursor.fetchone()
        if not local:
            cursor.execute("SELECT set_config('jit', %s, false)", [jit])
    return Verdict(
        int(cases), int(events), list(suspects), list(digest_suspects), int(compared), int(without), digest is not None
    )


def _in_own_connection(function: Any, *args: Any) -> Any:
    from django.db import connections

    try:
        return function(*args)
    finally:
        connections.close_all()


def verify_case_type(case_type: str, flow_cls: Any, workers: int = 1) -> Verdict:
    """What the database finds for one case type (``flow_cls`` None: no installed workflow handles it).

    The live rows are held to the last digest here when ``digest_sql`` can write the flow's
    snapshot (``Verdict.digests_compared``), otherwise by the caller in Python.
    With ``workers`` > 1, outside a transaction, and a large history, the case-id range is split
    into as many parts verified at once, each on its own connection (PostgreSQL runs each
    statement on one core). Their snapshots may differ by moments: a case moved in between is
    flagged, and its recheck under the row lock settles it, as for the streaming verifier.
    """
    table = flow_cls.model._meta.db_table if flow_cls is not None else None
    digest = digest_sql(flow_cls) if flow_cls is not None else None
    if workers <= 1 or table is None or connection.in_atomic_block:
        return _verify_range(case_type, table, digest, _LOWEST, _HIGHEST)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'engine_auditevent'")
        estimate = cursor.fetchone()[0] or 0
    if estimate < PARALLEL_ABOVE:
        return _verify_range(case_type, table, digest, _LOWEST, _HIGHEST)
    from concurrent.futures import ThreadPoolExecutor

    from .audit import case_ranges

    ranges = case_ranges(flow_cls.model, workers)
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        parts = list(
            pool.map(lambda bounds: _in_own_connection(_verify_range, case_type, table, digest, *bounds), ranges)
        )
    return Verdict.merged(parts)
