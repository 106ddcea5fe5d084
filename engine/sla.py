"""SLA clocks: started, paused, resumed and stopped by transitions; scanned set-based."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import calendar
from .models import SlaClock, SlaPolicy

_policy_lock = threading.Lock()
_policies: dict[tuple[str, str], SlaPolicy] | None = None


def invalidate_policies() -> None:
    global _policies
    with _policy_lock:
        _policies = None


def policy_for(case_type: str, state: str) -> SlaPolicy | None:
    global _policies
    with _policy_lock:
        if _policies is None:
            _policies = {(p.flow, p.state): p for p in SlaPolicy.objects.filter(active=True)}
        return _policies.get((case_type, state))


def _open_clocks(case: Any) -> Any:
    return SlaClock.objects.filter(case_type=case.case_type(), case_id=case.pk, stopped_at__isnull=True)


def clock_start(case: Any, policy: SlaPolicy, now: datetime) -> SlaClock:
    due_at = calendar.add_business_days(now, policy.allowance_days)
    allowance = max(1, calendar.business_seconds_between(now, due_at))
    warn_at = calendar.add_business_seconds(now, int(allowance * float(policy.warning_ratio)))
    return SlaClock.objects.create(
        case_type=case.case_type(),
        case_id=case.pk,
        case_reference=case.reference,
        policy=policy,
        state=policy.state,
        owner=policy.owner,
        started_at=now,
        allowance_seconds=allowance,
        running_since=now,
        warn_at=warn_at,
        due_at=due_at,
    )


def clock_resume(clock: SlaClock, now: datetime) -> None:
    """Carry on a paused clock: the paused time does not count against its owner."""
    consumed = clock.consumed_seconds + calendar.business_seconds_between(clock.running_since, clock.paused_at)
    remaining = max(0, clock.allowance_seconds - consumed)
    warn_total = int(clock.allowance_seconds * float(clock.policy.warning_ratio))
    clock.consumed_seconds = consumed
    clock.running_since = now
    clock.paused_at = None
    clock.due_at = calendar.add_business_seconds(now, remaining)
    clock.warn_at = calendar.add_business_seconds(now, max(0, warn_total - consumed))
    clock.save(update_fields=["consumed_seconds", "running_since", "paused_at", "due_at", "warn_at"])


def on_transition(case: Any, flow_cls: Any, spec: Any, from_state: str, to_state: str, now: datetime) -> None:
    """Move the case's clocks for a transition from ``from_state`` to ``to_state``."""
    if from_state == to_state:
        # A self-loop (a reschedule, one party's confirmation) leaves the state's clock running.
        return
    clocks = _open_clocks(case)
    if to_state in flow_cls.final_states:
        clocks.update(stopped_at=now, status=SlaClock.Status.STOPPED, paused_at=None)
        return
    running = clocks.filter(paused_at__isnull=True)
    if spec.pauses_clock:
        running.update(paused_at=now)
    else:
        running.update(stopped_at=now, status=SlaClock.Status.STOPPED)
    policy = policy_for(case.case_type(), to_state)
    if policy is None:
        return
    if to_state in flow_cls.pausable_states():
        paused = clocks.filter(state=to_state, paused_at__isnull=False).select_related("policy").first()
        if paused is not None:
            clock_resume(paused, now)
            return
    clock_start(case, policy, now)


def clocks_for(case: Any) -> list[SlaClock]:
    return list(SlaClock.objects.filter(case_type=case.case_type(), case_id=case.pk).order_by("started_at", "id"))


# --- the scan -------------------------------------------------------------------------------


@dataclass
class ScanResult:
    warned: int = 0
    breached: int = 0
    transitioned: int = 0
    escalated: int = 0
    errors: list[str] = field(default_factory=list)


def _running(at: datetime) -> Any:
    return SlaClock.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, started_at__lte=at)


def scan(at: datetime | None = None) -> ScanResult:
    """Mark warnings and breaches as of ``at``: a handful of queries however many clocks."""
    from . import outbox

    at = at or timezone.now()
    result = ScanResult()
    with transaction.atomic():
        warn_rows = list(
            _running(at)
            .filter(status=SlaClock.Status.ON_TRACK, warn_at__lte=at, due_at__gt=at)
            .values_list("id", "case_type", "case_id", "case_reference", "state", "owner", "due_at")
        )
        if warn_rows:
            result.warned = SlaClock.objects.filter(
                id__in=[row[0] for row in warn_rows], status=SlaClock.Status.ON_TRACK
            ).update(status=SlaClock.Status.WARNING, warned_at=at)
        breach_rows = list(
            _running(at)
            .filter(Q(status=SlaClock.Status.ON_TRACK) | Q(status=SlaClock.Status.WARNING), due_at__lte=at)
            .values_list(
                "id",
                "case_type",
                "case_id",
                "case_reference",
                "state",
                "owner",
                "due_at",
                "policy__on_breach",
                "policy__breach_transition",
            )
        )
        if breach_rows:
            result.breached = SlaClock.objects.filter(
                id__in=[row[0] for row in breach_rows], status__in=[SlaClock.Status.ON_TRACK, SlaClock.Status.WARNING]
            ).update(status=SlaClock.Status.BREACHED, breached_at=at)
        events = [
            outbox.OutboxEvent(
                event="sla_warning",
                case_type=row[1],
                case_id=row[2],
                case_reference=row[3],
                key=f"sla:{row[0]}:warning",
                payload={"clock": row[0], "state": row[4], "owner": row[5], "due_at": row[6]},
            )
            for row in warn_rows
        ]
        escalate = [row for row in breach_rows if row[7] != SlaPolicy.OnBreach.MARK]
        events += [
            outbox.OutboxEvent(
                event="sla_breach",
                case_type=row[1],
                case_id=row[2],
                case_reference=row[3],
                key=f"sla:{row[0]}:breach",
                payload={"clock": row[0], "state": row[4], "owner": row[5], "due_at": row[6], "escalate": True},
            )
            for row in escalate
        ]
        result.escalated = len(escalate)
        outbox.emit(events)
    for row in breach_rows:
        if row[7] == SlaPolicy.OnBreach.TRANSITION and row[8]:
            if _run_breach_transition(row, at, result):
                result.transitioned += 1
    return result


def _run_breach_transition(row: tuple, at: datetime, result: ScanResult) -> bool:
    from . import errors, registry, service

    clock_id, case_type, case_id, reference, state = row[:5]
    transition = row[8]
    model = registry.flow_for(case_type).model
    try:
        case = model.objects.get(pk=case_id)
        if case.state != state:
            return False
        service.run(case, transition, actor=None, data={}, occurred_at=at, audit_data={"sla_clock": clock_id})
    except (errors.EngineError, model.DoesNotExist) as exc:
        result.errors.append(f"{reference}: {exc}")
        return False
    return True
