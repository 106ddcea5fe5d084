"""The tamper-evident audit chain: canonical JSON, hashing, writing and verifying events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from .models import GENESIS_HASH, AuditEvent


@dataclass
class RequestContext:
    """Where an action came from, when it came over HTTP."""

    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: Any) -> RequestContext:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
        return cls(ip_address=ip or None, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


def jsonable(data: Any) -> Any:
    """The JSON form of ``data`` as it will read back from the database."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes whatever the database returns."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "case_type": event.case_type,
        "case_id": event.case_id,
        "case_reference": event.case_reference,
        "seq": event.seq,
        "occurred_at": _utc_iso(event.occurred_at),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "data": event.data,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
    }


def compute_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(fields)).hexdigest()


def build_event(
    case: Any,
    *,
    action: str,
    actor: Any = None,
    actor_role: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    context: RequestContext | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Make the next link of ``case``'s chain and move the head kept on the (locked) case row."""
    event = AuditEvent(
        case_type=case.case_type(),
        case_id=case.pk,
        case_reference=case.reference,
        seq=case.audit_seq + 1,
        occurred_at=occurred_at or timezone.now(),
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=(actor.get_username() if actor is not None and getattr(actor, "pk", None) else ""),
        actor_role=actor_role,
        action=action,
        from_state=from_state,
        to_state=to_state,
        data=jsonable(data or {}),
        ip_address=context.ip_address if context else None,
        user_agent=context.user_agent if context else "",
        prev_hash=case.audit_hash,
    )
    event.hash = compute_hash(event.prev_hash, event_fields(event))
    case.audit_seq = event.seq
    case.audit_hash = event.hash
    return event


# --- verification -------------------------------------------------------------------------


@dataclass
class CaseFailure:
    case_type: str
    case_id: int
    case_reference: str
    seq: int | None
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_type": self.case_type,
            "case_id": self.case_id,
            "reference": self.case_reference,
            "seq": self.seq,
            "problem": self.problem,
        }


@dataclass
class VerifyReport:
    cases_checked: int = 0
    events_checked: int = 0
    failures: list[CaseFailure] = field(default_factory=list)
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cases_checked": self.cases_checked,
            "events_checked": self.events_checked,
            "failures": [failure.as_dict() for failure in self.failures],
        }


_EVENT_COLUMNS = (
    "case_type",
    "case_id",
    "case_reference",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_role",
    "action",
    "from_state",
    "to_state",
    "data",
    "ip_address",
    "user_agent",
    "prev_hash",
    "hash",
)


def iter_events(batch_size: int = 2000, until_id: int | None = None) -> Iterator[AuditEvent]:
    """Every event in chain order, streamed with a server-side cursor (constant memory)."""
    queryset = AuditEvent.objects.order_by("case_type", "case_id", "seq").only(*_EVENT_COLUMNS, "id")
    if until_id is not None:
        queryset = queryset.filter(id__lte=until_id)
    return queryset.iterator(chunk_size=batch_size)


def verify_chains(
    *,
    case_states: dict[tuple[str, int], tuple[str, str, int, str]] | None = None,
    progress: Any = None,
    stop_at_heads: dict[str, dict[str, Any]] | None = None,
) -> VerifyReport:
    """Recompute every chain; compare each case's state and head with its last event.

    ``case_states`` maps (case_type, case_id) to (state, reference, audit_seq, audit_hash); when
    given, cases whose state or head disagree with their history fail too. ``stop_at_heads``
    limits each chain to the seq recorded in a checkpoint and demands the recorded hash there.
    """
    report = VerifyReport()
    current_key: tuple[str, int] | None = None
    prev_hash = GENESIS_HASH
    expected_seq = 1
    broken = False
    last_target = ""
    last_seq = 0
    reference = ""

    def close_chain() -> None:
        if current_key is None:
            return
        report.cases_checked += 1
        chain_id = f"{current_key[0]}:{current_key[1]}"
        report.heads[chain_id] = {"seq": last_seq, "hash": prev_hash, "reference": reference}
        if stop_at_heads is not None:
            wanted = stop_at_heads.get(chain_id)
            if wanted and not broken and (last_seq < wanted["seq"] or prev_hash != wanted["hash"]):
                report.failures.append(
                    CaseFailure(*current_key, reference, wanted["seq"], "differs from the checkpoint")
                )
            return
        if case_states is None or broken:
            return
        info = case_states.pop(current_key, None)
        if info is None:
            report.failures.append(CaseFailure(*current_key, reference, None, "history of a case that does not exist"))
            return
        state, _ref, head_seq, head_hash = info
        if last_target and state != last_target:
            report.failures.append(
                CaseFailure(
                    *current_key, reference, last_seq, f"state is {state!r} but history ends in {last_target!r}"
                )
            )
        elif head_seq != last_seq or head_hash != prev_hash:
            report.failures.append(
                CaseFailure(*current_key, reference, last_seq, "chain head on the case does not match")
            )

    for event in iter_events():
        key = (event.case_type, event.case_id)
        if key != current_key:
            close_chain()
            current_key, prev_hash, expected_seq, broken, last_target, last_seq = key, GENESIS_HASH, 1, False, "", 0
            reference = event.case_reference
        report.events_checked += 1
        if progress is not None:
            progress(report.events_checked)
        if broken:
            continue
        if stop_at_heads is not None:
            wanted = stop_at_heads.get(f"{key[0]}:{key[1]}")
            if wanted is None or event.seq > wanted["seq"]:
                continue
        if event.seq != expected_seq:
            report.failures.append(CaseFailure(*key, reference, event.seq, f"expected event #{expected_seq}"))
            broken = True
            continue
        if event.prev_hash != prev_hash:
            report.failures.append(CaseFailure(*key, reference, event.seq, "does not link to the previous event"))
            broken = True
            continue
        if compute_hash(prev_hash, event_fields(event)) != event.hash:
            report.failures.append(CaseFailure(*key, reference, event.seq, "content does not match its hash"))
            broken = True
            continue
        prev_hash = event.hash
        expected_seq += 1
        last_seq = event.seq
        if event.to_state:
            last_target = event.to_state
    close_chain()

    if case_states:
        for (case_type, case_id), (_state, ref, head_seq, _hash) in case_states.items():
            if head_seq:
                report.cases_checked += 1
                report.failures.append(CaseFailure(case_type, case_id, ref, 1, "events are missing"))
    return report


def load_case_states() -> dict[tuple[str, int], tuple[str, str, int, str]]:
    """(state, reference, audit_seq, audit_hash) of every case of every registered flow."""
    from .registry import all_flows

    states: dict[tuple[str, int], tuple[str, str, int, str]] = {}
    for case_type, flow in all_flows().items():
        rows = flow.model.objects.values_list("pk", "state", "reference", "audit_seq", "audit_hash")
        for pk, state, ref, seq, head in rows.iterator(chunk_size=5000):
            states[(case_type, pk)] = (state, ref, seq, head)
    return states


def verify_all(progress: Any = None) -> VerifyReport:
    return verify_chains(case_states=load_case_states(), progress=progress)


def database_vendor() -> str:
    return connection.vendor
