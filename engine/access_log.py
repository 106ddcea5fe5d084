"""The access log: reads of restricted material, append-only and tamper-evident on its own.

A read is a GET: it must not change the case, take its row lock or extend its audit chain. Each
read is one ``AccessLogEntry`` linked into a single global hash chain (``hash = sha256(prev_hash +
canonical JSON of the entry)``, the same construction as the audit chain). Appending locks only the
log's own head row (``AccessLogHead``), for the few milliseconds of the insert; PostgreSQL refuses
UPDATE, DELETE and TRUNCATE of the entries (migration 0009). ``verify()`` recomputes the chain and
holds the head to it; ``audit_verify`` runs it in a section of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .audit import CaseFailure, RequestContext, _utc_iso, compute_hash
from .models import GENESIS_HASH, AccessLogEntry, AccessLogHead

#: The case type under which access-log failures are reported beside the audit chains' failures.
LOG_TYPE = "engine.accesslogentry"

_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_role",
    "case_type",
    "case_id",
    "case_reference",
    "what",
    "ip_address",
    "user_agent",
    "prev_hash",
    "hash",
)


def _fields(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "seq": row[0],
        "occurred_at": _utc_iso(row[1]),
        "actor": row[2],
        "actor_label": row[3],
        "actor_role": row[4],
        "case_type": row[5],
        "case_id": row[6],
        "case_reference": row[7],
        "what": row[8],
        "ip_address": row[9],
        "user_agent": row[10],
    }


def entry_fields(entry: AccessLogEntry) -> dict[str, Any]:
    return _fields(tuple(getattr(entry, name) for name in _COLUMNS))


def _head_locked() -> AccessLogHead:
    head = AccessLogHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AccessLogHead.objects.create(pk=1)
    except IntegrityError:
        pass  # another first read made it meanwhile
    return AccessLogHead.objects.select_for_update().get(pk=1)


def record_read(
    case: Any, *, actor: Any, what: str, actor_role: str = "", context: RequestContext | None = None
) -> AccessLogEntry:
    """Log that ``actor`` read restricted material ``what`` of ``case``; the case is neither locked nor changed."""
    actor = actor if actor is not None and getattr(actor, "pk", None) else None
    with transaction.atomic():
        head = _head_locked()  # the log's own lock row, never the case's
        entry = AccessLogEntry(
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            actor=actor,
            actor_label=actor.get_username() if actor is not None else "",
            actor_role=actor_role,
            case_type=case.case_type(),
            case_id=case.pk,
            case_reference=case.reference,
            what=what,
            ip_address=context.ip_address if context else None,
            user_agent=context.user_agent if context else "",
            prev_hash=head.hash,
        )
        entry.hash = compute_hash(entry.prev_hash, entry_fields(entry))
        entry.save(force_insert=True)
        AccessLogHead.objects.filter(pk=head.pk).update(seq=entry.seq, hash=entry.hash)
    return entry


@dataclass
class AccessLogReport:
    entries_checked: int = 0
    failure: CaseFailure | None = None
    failures: list[CaseFailure] = field(default_factory=list)


def _iter_rows(chunk_size: int) -> Iterator[tuple[Any, ...]]:
    return AccessLogEntry.objects.order_by("seq").values_list(*_COLUMNS).iterator(chunk_size=chunk_size)


def verify(chunk_size: int = 2000) -> AccessLogReport:
    """Recompute the access log's chain from entry #1 and hold its head row to it (first break only)."""
    report = AccessLogReport()
    expected, prev_hash = 1, GENESIS_HASH

    def fail(seq: int | None, code: str, **params: Any) -> AccessLogReport:
        report.failure = CaseFailure(LOG_TYPE, None, "", seq, code, params)
        report.failures.append(report.failure)
        return report

    for row in _iter_rows(chunk_size):
        seq, row_prev, row_hash = row[0], row[11], row[12]
        report.entries_checked += 1
        if seq != expected:
            return fail(expected, "access_missing", found=seq) if seq > expected else fail(seq, "access_out_of_order")
        if row_prev != prev_hash:
            return fail(seq, "access_broken_link")
        if compute_hash(row_prev, _fields(row)) != row_hash:
            return fail(seq, "access_altered")
        prev_hash, expected = row_hash, expected + 1
    head = AccessLogHead.objects.filter(pk=1).values_list("seq", "hash").first() or (0, GENESIS_HASH)
    last = expected - 1
    if head[0] > last:
        return fail(last + 1, "access_tail_missing", head=head[0])
    if head[0] < last or head[1] != prev_hash:
        # A read appended between the walk and this look is not a break: look again under its lock.
        with transaction.atomic():
            locked = AccessLogHead.objects.select_for_update().filter(pk=1).values_list("seq", "hash").first()
            if locked is not None and locked[0] > last:
                tail = list(AccessLogEntry.objects.filter(seq__gt=last).order_by("seq").values_list(*_COLUMNS))
                for row in tail:
                    if row[0] != last + 1 or row[11] != prev_hash or compute_hash(row[11], _fields(row)) != row[12]:
                        return fail(row[0], "access_altered")
                    last, prev_hash = row[0], row[12]
                    report.entries_checked += 1
                head = locked
        if head[0] != last or head[1] != prev_hash:
            return fail(last, "access_head_mismatch")
    return report
